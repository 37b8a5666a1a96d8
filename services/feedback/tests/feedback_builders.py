"""Builders for the feedback tests: refs, tokens, events, and polling."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa

from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role, issue_token
from vfp_shared.contracts import ConsentGivenV1, PanelHeldV1
from vfp_shared.contracts.vocabulary import ConsentScope, ContactRoute, ParticipationMode

T = TypeVar("T")


def ref(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def auth(
    settings: FeedbackSettings,
    role: Role,
    subject: str | None = None,
    organisation: str | None = None,
    teams: list[str] | None = None,
) -> dict[str, str]:
    token = issue_token(
        settings.jwt_key, subject or ref(role.value), [role], organisation, teams=teams
    )
    return {"Authorization": f"Bearer {token}"}


def consent(
    participant_ref: str,
    *,
    scopes: tuple[ConsentScope, ...] = (ConsentScope.TAKE_PART,),
    mode: ParticipationMode = ParticipationMode.LIVE,
    support_service_ref: str | None = None,
    teams: tuple[str, ...] = (),
    officers: tuple[str, ...] = (),
) -> ConsentGivenV1:
    return ConsentGivenV1(
        participant_ref=participant_ref,
        mode=mode,
        scopes=list(scopes),
        themes=[],
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref=ref("supporter"),
        support_service_ref=support_service_ref,
        case_study_team_refs=list(teams),
        praise_officer_refs=list(officers),
        given_at=datetime.now(UTC),
    )


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 30) -> T:
    """Poll until `probe` returns something (not None/False), or fail after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def consents_arrived(feedback: Feedback, participant_refs: list[str]) -> None:
    """Wait until the service has applied these participants' consent-given events."""

    async def arrived() -> bool:
        async with feedback.runtime.engine.connect() as conn:
            found = await conn.scalar(
                sa.text("SELECT count(*) FROM feedback.consents WHERE participant_ref = ANY(:r)"),
                {"r": participant_refs},
            )
        return bool(found == len(set(participant_refs)))

    await eventually(arrived)


def panel_held(
    panel_ref: str,
    attendees: list[str],
    held_at: datetime | None = None,
    title: str = "Spring panel",
) -> PanelHeldV1:
    return PanelHeldV1(
        panel_ref=panel_ref,
        title=title,
        held_at=held_at or datetime.now(UTC),
        recording_ref=ref("recording"),
        attendee_refs=attendees,
    )
