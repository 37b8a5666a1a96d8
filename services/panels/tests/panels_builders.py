"""Builders of the panels tests: people with tokens, panels, agendas, and polling."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from vfp_panels.bootstrap import Panels
from vfp_panels.domain.consent import Consent
from vfp_panels.service_layer import handlers
from vfp_shared.auth import Role, issue_token
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode

SERVICES = ["svc-sexual-offences", "svc-domestic-abuse", "svc-victim-support"]


class People:
    """Bearer headers for the people of one (fresh) organisation, so tests never meet."""

    def __init__(self, key: str):
        self.key = key
        self.organisation = f"force-{uuid4()}"

    def as_(
        self, *roles: Role, subject: str | None = None, organisation: str | None = None
    ) -> dict[str, str]:
        token = issue_token(
            self.key, subject or f"person-{uuid4()}", list(roles), organisation or self.organisation
        )
        return {"Authorization": f"Bearer {token}"}

    @property
    def lead(self) -> dict[str, str]:
        return self.as_(Role.PANEL_LEAD, subject="di-lead")

    @property
    def staff(self) -> dict[str, str]:
        return self.as_(Role.STAFF)


def panel_body(starts_at: datetime | None = None, hours: int = 3, **changes: Any) -> dict[str, Any]:
    starts = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    body: dict[str, Any] = {
        "title": "Spring panel",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "format": "online",
        "meeting_link": "https://meet.example.org/vfp-spring",
        "themes": ["sexual_violence_and_domestic_abuse", "stalking_and_harassment"],
        "lead_ref": "di-lead",
        "coordinator_refs": ["coord-vsm"],
        "case_study_capacity": 2,
    }
    body.update(changes)
    return body


def agenda_body(*case_studies: dict[str, Any]) -> dict[str, Any]:
    """A complete agenda: opening, the case studies, a slot per service, Q&A, recognition, close."""
    return {
        "items": [
            {"kind": "opening", "minutes": 10},
            *({"kind": "case_study", "minutes": 20, **c} for c in case_studies),
            *({"kind": "service_slot", "minutes": 10, "service_ref": s} for s in SERVICES),
            {"kind": "questions", "minutes": 30},
            {"kind": "recognition", "minutes": 10},
            {"kind": "close", "minutes": 5},
        ]
    }


async def consented(panels: Panels, mode: ParticipationMode = ParticipationMode.LIVE) -> str:
    """A new victim in the pool (as consent-given puts them there); their ref."""
    ref = f"v-{uuid4()}"
    consent = Consent(
        participant_ref=ref,
        mode=mode,
        themes=(FocusTheme.STALKING_AND_HARASSMENT,),
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref=f"sw-{uuid4()}",
        support_service_ref=SERVICES[2],
        given_at=datetime.now(UTC),
    )
    async with panels.runtime.units_of_work() as uow:
        await handlers.on_consent_given(uow, consent)
        await uow.commit()
    return ref


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 30) -> None:
    """Poll until `check` holds (the consumer applies events asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.1)
