"""Test data in the domain's words: force events, tokens, and waiting for the service."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

import sqlalchemy as sa

from vfp_participants.adapters.tables import candidates, cases
from vfp_participants.domain.model import Status
from vfp_shared.auth import Role, issue_token
from vfp_shared.contracts import CaseClosedV1
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus
from vfp_shared.settings import PlatformSettings, ServiceSettings

T = TypeVar("T")


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:12]}"


def a_closed_case(**changes: Any) -> CaseClosedV1:
    values: dict[str, Any] = {
        "case_ref": fresh("case"),
        "victim_ref": fresh("victim"),
        "oic_ref": fresh("oic"),
        "offence_category": "domestic abuse",
        "domestic_abuse": True,
        "outcome": "charged",
        "justice_status": JusticeStatus.FINALISED,
        "closed_at": datetime.now(UTC) - timedelta(days=60),
        "age_band": AgeBand.ADULT,
        "support_service_ref": "service-da",
        "support_worker_ref": fresh("worker"),
    }
    values.update(changes)
    return CaseClosedV1(**values)


def bearer(
    settings: PlatformSettings, role: Role, organisation: str | None = None
) -> dict[str, str]:
    assert isinstance(settings, ServiceSettings), "a service's settings carry its token key"
    token = issue_token(settings.jwt_key, fresh("person"), [role], organisation)
    return {"Authorization": f"Bearer {token}"}


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 20, what: str = "condition"
) -> T:
    """Poll until `probe` returns something truthy; fail after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def referred_candidate(engine: Any, case_ref: str) -> str:
    """The candidate a self-referral about `case_ref` went to: its own, or the force's candidate
    of the case's victim (the public answer names neither)."""
    victim = sa.select(cases.c.victim_ref).where(cases.c.case_ref == case_ref).scalar_subquery()
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(candidates.c.participant_ref)
            .where(
                sa.or_(
                    candidates.c.claimed_case_ref == case_ref, candidates.c.victim_ref == victim
                ),
                sa.literal("self_referral") == sa.any_(candidates.c.sources),
            )
            .order_by(candidates.c.updated_at.desc())
            .limit(1)
        )
    assert found is not None, f"no candidate took the self-referral about {case_ref}"
    return str(found)


async def candidate_row(engine: Any, victim_ref: str) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(sa.select(candidates).where(candidates.c.victim_ref == victim_ref))
        ).first()


# The steps and where each is allowed, written apart from the model so tests can check it.

ALLOWED_FROM = {
    "approach": {Status.IDENTIFIED},
    "consent": {Status.APPROACHED},
    "decline": {Status.APPROACHED},
    "no_response": {Status.APPROACHED},
    # A victim who asks is always let go and erased, an excluded one too.
    "withdraw": {
        Status.APPROACHED,
        Status.CONSENTED,
        Status.DECLINED,
        Status.NO_RESPONSE,
        Status.EXCLUDED,
    },
    "exclude": set(Status) - {Status.WITHDRAWN, Status.EXCLUDED},
}
LEADS_TO = {
    "approach": Status.APPROACHED,
    "consent": Status.CONSENTED,
    "decline": Status.DECLINED,
    "no_response": Status.NO_RESPONSE,
    "withdraw": Status.WITHDRAWN,
    "exclude": Status.EXCLUDED,
}
