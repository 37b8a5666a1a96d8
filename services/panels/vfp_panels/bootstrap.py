"""The one wiring point of the panels service: runtime (bus, outbox relay), handlers and HTTP."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from vfp_panels.adapters.outgoing import OUTGOING
from vfp_panels.adapters.tables import BUS
from vfp_panels.entrypoints.events import event_handlers, lock_keys
from vfp_panels.entrypoints.http import install_error_handlers, panels_router
from vfp_panels.settings import PanelsSettings
from vfp_shared.auth import TokenVerifier
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings

NAME = "panels"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Panels:
    settings: PanelsSettings
    runtime: ServiceRuntime
    app: FastAPI


def now_utc() -> datetime:
    return datetime.now(UTC)


def build_runtime(
    settings: PlatformSettings, clock: Callable[[], datetime] = now_utc
) -> ServiceRuntime:
    """The bus side alone (also what the AsyncAPI documents are generated from)."""
    panels_settings = (
        settings
        if isinstance(settings, PanelsSettings)
        else PanelsSettings(**settings.model_dump())
    )
    return ServiceRuntime(
        name=NAME,
        description=(
            "Schedules the Victim Feedback Panels, builds and checks their agendas, invites "
            "victims (through their supporters), staff, the CPS, partners and the commissioned "
            "services, and records each panel held."
        ),
        settings=panels_settings,
        tables=BUS,
        migrations_dir=MIGRATIONS,
        handlers=event_handlers(panels_settings.policy(), clock),
        lock_keys=lock_keys(),
        outgoing=OUTGOING,
    )


def build(settings: PanelsSettings, clock: Callable[[], datetime] = now_utc) -> Panels:
    runtime = build_runtime(settings, clock)
    verifier = TokenVerifier(
        settings.jwt_key, tuple(settings.jwt_algorithms), settings.jwt_audience
    )
    app = runtime.http_app()
    install_error_handlers(app)
    app.include_router(panels_router(runtime.units_of_work, verifier, settings.policy(), clock))
    return Panels(settings, runtime, app)
