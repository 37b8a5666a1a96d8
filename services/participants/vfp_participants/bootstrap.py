"""The one wiring point of the participants service."""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from vfp_participants.adapters.outgoing import OUTGOING
from vfp_participants.adapters.tables import BUS, subject_keys
from vfp_participants.domain.screening import ScreeningPolicy
from vfp_participants.entrypoints.events import event_handlers, lock_keys
from vfp_participants.entrypoints.http import add_error_handlers, router
from vfp_participants.service_layer.retention import SweepResult, sweep_and_purge
from vfp_participants.service_layer.unit import Services
from vfp_participants.settings import ParticipantsSettings
from vfp_shared.auth import TokenVerifier
from vfp_shared.crypto import Vault, master_key_from
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Sources panel candidates from force events, nominations, flags and self-referrals; "
    "screens them; manages consent, participation mode and withdrawal (with erasure)."
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Participants:
    runtime: ServiceRuntime
    services: Services
    app: FastAPI
    sweep_interval_s: float

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The runtime (migrations, consumer, relay) plus the sweep timer (re-screening, purge)."""
        async with self.runtime.running():
            timer = (
                asyncio.create_task(self._sweep_forever(), name="participants-sweep")
                if self.sweep_interval_s
                else None
            )
            try:
                yield
            finally:
                if timer is not None:
                    timer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await timer

    async def sweep_once(self) -> SweepResult:
        """Re-screen the deferred candidates whose wait is over, and purge what is past its
        retention period (one transaction)."""
        async with self.runtime.units_of_work() as uow:
            result = await sweep_and_purge(uow, self.services)
            await uow.commit()
        return result

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            try:
                result = await self.sweep_once()
                if result.purged:
                    log.info("retention purge erased %d candidates", result.purged)
            except Exception:
                log.exception("sweep failed; trying again at the next interval")


def build(
    settings: ParticipantsSettings,
    *,
    clock: Callable[[], datetime] = _now,
    group: str | None = None,
) -> Participants:
    """Wire the service. `group` overrides the consumer group (the service name by default)."""
    master_key = master_key_from(settings.master_key)
    services = Services(
        policy=ScreeningPolicy(
            label=settings.participants_policy_label,
            cooling_off_days=settings.participants_cooling_off_days,
            contact_interval_days=settings.participants_contact_interval_days,
            focus_themes=frozenset(settings.participants_focus_themes),
        ),
        vault=Vault(subject_keys, master_key),
        # A key of its own for the do-not-contact digests, derived from the master key.
        do_not_contact_key=hashlib.sha256(b"participants/do-not-contact" + master_key).digest(),
        clock=clock,
        retention_days=settings.participants_retention_days,
    )
    runtime = ServiceRuntime(
        name="participants",
        description=DESCRIPTION,
        settings=settings,
        tables=BUS,
        migrations_dir=Path(__file__).parent / "migrations",
        handlers=event_handlers(services),
        lock_keys=lock_keys(services),
        outgoing=list(OUTGOING),
        group=group,
    )
    app = runtime.http_app()
    participants = Participants(runtime, services, app, settings.participants_sweep_interval_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with participants.running():
            yield

    # The runtime's lifespan plus the sweep timer.
    app.router.lifespan_context = lifespan
    add_error_handlers(app)
    verifier = TokenVerifier(
        settings.jwt_key, tuple(settings.jwt_algorithms), settings.jwt_audience
    )
    app.include_router(router(runtime.units_of_work, services, verifier))
    return participants


def build_runtime(settings: PlatformSettings) -> ServiceRuntime:
    """The bus side alone: what the AsyncAPI document is generated from."""
    return build(ParticipantsSettings(**settings.model_dump())).runtime
