"""The one wiring point of the feedback service. Nothing connects until the runtime starts."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from vfp_feedback.adapters import tables
from vfp_feedback.domain.recurrence import RecurrenceRules
from vfp_feedback.entrypoints import events, http
from vfp_feedback.service_layer import retention
from vfp_feedback.service_layer.context import Clock, Context, utc_now
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import TokenVerifier
from vfp_shared.contracts import (
    ActionCompletedV1,
    ActionRaisedV1,
    CaseStudySharedV1,
    EndorsementRecordedV1,
    EndorsementRequestedV1,
    RecognitionAwardedV1,
    ThemeRecurringV1,
)
from vfp_shared.crypto import Vault, master_key_from
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings

log = logging.getLogger(__name__)

NAME = "feedback"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Feedback:
    settings: FeedbackSettings
    runtime: ServiceRuntime
    app: FastAPI
    ctx: Context

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The runtime (migrations, consumer, relay) plus the retention purge's timer."""
        async with self.runtime.running():
            interval = self.settings.feedback_retention_sweep_interval_s
            timer = (
                asyncio.create_task(self._purge_forever(interval), name="feedback-retention")
                if interval
                else None
            )
            try:
                yield
            finally:
                if timer is not None:
                    timer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await timer

    async def purge_once(self) -> retention.Purged:
        async with self.runtime.units_of_work() as uow:
            purged = await retention.purge(uow, self.ctx)
            await uow.commit()
        return purged

    async def _purge_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                purged = await self.purge_once()
                if purged.participants or purged.survey_free_texts:
                    log.info("retention purge: %s", purged.as_dict())
            except Exception:
                log.exception("retention purge failed; trying again at the next interval")


def build(settings: FeedbackSettings | None = None, *, clock: Clock = utc_now) -> Feedback:
    settings = settings or FeedbackSettings()
    ctx = Context(
        vault=Vault(tables.subject_keys, master_key_from(settings.master_key)),
        rules=RecurrenceRules(
            min_testimonies=settings.feedback_recurring_min_testimonies,
            min_panels=settings.feedback_recurring_min_panels,
            window=timedelta(days=settings.feedback_recurring_window_days),
            k_anonymity=settings.feedback_k_anonymity,
        ),
        audit=tables.audit,
        clock=clock,
        retention_days=settings.feedback_retention_days,
    )
    runtime = ServiceRuntime(
        name=NAME,
        description="The victim's voice and staff feedback, recurring themes and learning",
        settings=settings,
        tables=tables.BUS,
        migrations_dir=MIGRATIONS,
        handlers=events.handlers(ctx),
        lock_keys=events.lock_keys(),
        outgoing=[
            ThemeRecurringV1,
            CaseStudySharedV1,
            ActionRaisedV1,
            ActionCompletedV1,
            RecognitionAwardedV1,
            EndorsementRequestedV1,
            EndorsementRecordedV1,
        ],
    )
    app = runtime.http_app()
    verifier = TokenVerifier(
        settings.jwt_key, tuple(settings.jwt_algorithms), settings.jwt_audience
    )
    http.install(app, http.Wiring(runtime.units_of_work, ctx, verifier))
    feedback = Feedback(settings, runtime, app, ctx)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with feedback.running():
            yield

    # The runtime's lifespan plus the retention timer.
    app.router.lifespan_context = lifespan
    return feedback


def build_runtime(settings: PlatformSettings) -> ServiceRuntime:
    """The bus side alone: what the AsyncAPI document is generated from."""
    return build(FeedbackSettings(**settings.model_dump())).runtime
