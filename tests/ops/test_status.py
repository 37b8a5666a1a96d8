"""`vfp status` against a real HTTP server standing in for the services, and against nothing."""

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tests.ops.conftest import Vfp
from vfp_ops.common import SERVICES, OpsSettings
from vfp_ops.status import platform_status
from vfp_shared.settings import PlatformSettings


@dataclass
class FakeService:
    """Answers /health and /ready as a service's runtime does; `checks` says what is ready."""

    url: str
    checks: dict[str, bool] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {f"VFP_{name.upper()}_URL": self.url for name in SERVICES}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def service() -> AsyncIterator[FakeService]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake = FakeService(
        f"http://127.0.0.1:{sock.getsockname()[1]}",
        {"database": True, "kafka": True, "outbox_relay": True},
    )
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        return JSONResponse(fake.checks, status_code=200 if all(fake.checks.values()) else 503)

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the HTTP server did not start"
        await asyncio.sleep(0.01)
    yield fake
    server.should_exit = True
    await task
    sock.close()


async def test_everything_up_exits_zero(service: FakeService, vfp: Vfp) -> None:
    result = await vfp("status", env=service.env())

    assert result.exit_code == 0, result.output
    assert "All components are up" in result.output
    for name in (*SERVICES, "kafka", "postgres"):
        assert name in result.output

    as_json = await vfp("status", "--json", env=service.env())
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["ok"] is True
    assert [c["name"] for c in report["components"]] == [*SERVICES, "kafka", "postgres"]
    assert report["components"][0]["checks"] == {
        "database": True,
        "kafka": True,
        "outbox_relay": True,
    }


async def test_a_service_that_is_not_ready_fails_the_status(
    service: FakeService, platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    service.checks["kafka"] = False
    urls = OpsSettings.model_validate({f"{name}_url": service.url for name in SERVICES})

    components = {c.name: c for c in await platform_status(platform_settings, urls)}

    panels = components["panels"]
    assert (panels.up, panels.healthy, panels.ready) == (False, True, False)
    assert panels.detail == "not ready: kafka"
    assert components["kafka"].up and components["postgres"].up

    result = await vfp("status", env=service.env())
    assert result.exit_code == 1, result.output
    assert "not ready: kafka" in result.output
    assert "Down: participants, panels, feedback, notifications" in result.output


async def test_nothing_running_exits_non_zero(vfp: Vfp) -> None:
    nowhere = f"127.0.0.1:{_free_port()}"
    env = {f"VFP_{name.upper()}_URL": f"http://{nowhere}" for name in SERVICES}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": nowhere,
        "DATABASE_URL": f"postgresql+asyncpg://vfp:secret@{nowhere}/vfp",
    }

    result = await vfp("status", "--json", env=env)

    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False
    assert not any(c["up"] for c in report["components"])
    assert "secret" not in result.output  # the password is not shown
