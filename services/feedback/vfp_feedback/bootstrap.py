"""The one wiring point of the feedback service. Nothing connects until the runtime starts."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from vfp_feedback.adapters import tables
from vfp_feedback.domain.recurrence import RecurrenceRules
from vfp_feedback.entrypoints import events, http
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

NAME = "feedback"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Feedback:
    settings: FeedbackSettings
    runtime: ServiceRuntime
    app: FastAPI
    ctx: Context


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
    )
    runtime = ServiceRuntime(
        name=NAME,
        description="The victim's voice and staff feedback, recurring themes and learning",
        settings=settings,
        tables=tables.BUS,
        migrations_dir=MIGRATIONS,
        handlers=events.handlers(ctx),
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
    return Feedback(settings, runtime, app, ctx)


def build_runtime(settings: PlatformSettings) -> ServiceRuntime:
    """The bus side alone: what the AsyncAPI document is generated from."""
    return build(FeedbackSettings(**settings.model_dump())).runtime
