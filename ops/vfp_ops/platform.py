"""The platform as real processes: the four services, each `python -m vfp_<service>`, watched
and restarted if one dies, plus a local mailbox (an SMTP server writing .eml files) so the
notifications can be read. Logs, traces and mail land in the run folder."""

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from vfp_ops.mailbox import Mailbox
from vfp_shared.settings import PlatformSettings

log = logging.getLogger(__name__)

SERVICES: Mapping[str, int] = {
    "participants": 8001,
    "panels": 8002,
    "feedback": 8003,
    "notifications": 8004,
}
BASE_PORT = 8001  # participants; then panels, feedback, notifications
READY_TIMEOUT_S = 90.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0)
# A service's own clean stop may take its dispatcher's 30 s plus the relay's drain.
STOP_GRACE_S = 45.0


def _stop_when_parent_dies() -> None:
    """In the child, before it runs: SIGTERM it (a clean stop) if `vfp` itself dies, even by
    SIGKILL, so no service is left running on its own. Linux only; elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


class PortInUse(RuntimeError):
    """A service's port is taken by another process."""


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    """Start with `async with Platform(...).running() as platform:`."""

    settings: PlatformSettings
    run_dir: Path
    jwt_key: str = "local-run-secret-0123456789abcdef-0123456789"
    base_port: int = BASE_PORT
    extra_env: Mapping[str, str] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    mailbox: Mailbox | None = None
    _stopping: bool = False

    @property
    def traces_dir(self) -> Path:
        return self.run_dir / "traces"

    def url(self, service: str) -> str:
        return self.services[service].url

    def _environment(self, name: str, port: int, smtp_port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers,
                "DATABASE_URL": self.settings.database_url,
                "HTTP_PORT": str(port),
                "JWT_KEY": self.jwt_key,
                "OTEL_TRACE_FILE": str(self.traces_dir / f"{name}.jsonl"),
                "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
                "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
                # A local run is watched now, not at 07:00: send at once.
                "NOTIFICATIONS_QUIET_HOURS_ENABLED": "false",
                "NOTIFICATIONS_RETRY_BASE_S": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    @asynccontextmanager
    async def running(self) -> AsyncIterator["Platform"]:
        self._check_ports_free()
        for folder in ("logs", "traces", "mail"):
            (self.run_dir / folder).mkdir(parents=True, exist_ok=True)
        # Mail and traces are this run's (an earlier run's would be read again and again);
        # only the files we write there go, whatever folder the run was pointed at.
        for pattern in ("traces/*.jsonl", "traces/*.jsonl.1", "mail/*.eml"):
            for old in self.run_dir.glob(pattern):
                old.unlink()
        self.mailbox = Mailbox(self.run_dir / "mail")
        self.mailbox.start()
        watchers: list[asyncio.Task[None]] = []
        try:
            for offset, name in enumerate(SERVICES):
                port = self.base_port + offset
                self.services[name] = ServiceProcess(
                    name, port, self.run_dir / "logs" / f"{name}.log"
                )
            for service in self.services.values():
                await self._spawn(service)
            watchers = [
                asyncio.create_task(self._watch(s), name=f"watch-{s.name}")
                for s in self.services.values()
            ]
            await self.wait_ready()
            yield self
        finally:
            self._stopping = True
            for watcher in watchers:
                watcher.cancel()
            await self._stop_all()
            self.mailbox.stop()

    def _check_ports_free(self) -> None:
        """Refuse to start beside services already listening (an earlier run left running?):
        we would otherwise talk to those and not to ours."""
        for offset, name in enumerate(SERVICES):
            port = self.base_port + offset
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise PortInUse(
                        f"port {port} (for {name}) is already in use: is a platform from an "
                        "earlier run still up? (`vfp status`; stop it, then start again)"
                    )

    async def _spawn(self, service: ServiceProcess) -> None:
        assert self.mailbox is not None
        env = self._environment(service.name, service.port, self.mailbox.port)
        output = service.log_path.open("ab")
        service.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"vfp_{service.name}",
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
            preexec_fn=_stop_when_parent_dies,
        )
        output.close()
        service.started_at = time.monotonic()

    async def _watch(self, service: ServiceProcess) -> None:
        """Restart a service that dies, with a growing pause (but not while stopping)."""
        while True:
            assert service.process is not None
            code = await service.process.wait()
            if self._stopping:
                return
            pause = RESTART_BACKOFF_S[min(service.restarts, len(RESTART_BACKOFF_S) - 1)]
            log.warning(
                "%s exited with code %s; restarting it in %.0fs (log: %s)",
                service.name,
                code,
                pause,
                service.log_path,
            )
            service.restarts += 1
            await asyncio.sleep(pause)
            await self._spawn(service)

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, float]:
        """Wait until every service answers /ready; returns the seconds each took."""
        took: dict[str, float] = {}
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as client:
            for service in self.services.values():
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{service.url}/ready")).status_code == 200:
                            took[service.name] = time.monotonic() - service.started_at
                            break
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"{service.name} not ready in {timeout_s:.0f}s: see {service.log_path}"
                        )
                    await asyncio.sleep(0.2)
        return took

    async def _stop_all(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM (graceful: the consumer drains, the relay flushes), then SIGKILL."""
        alive = [
            s.process for s in self.services.values() if s.process and s.process.returncode is None
        ]
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in alive)), grace_s)
        except TimeoutError:
            for process in alive:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
