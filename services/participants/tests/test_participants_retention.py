"""The retention purge on the real database: a final candidate unchanged for the retention
period is erased (as withdrawal erases) and forgotten; a recent one and a consented one,
however old, are kept."""

from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from participants_builders import a_closed_case, bearer, fresh, referred_candidate
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_participants.adapters.tables import (
    BUS,
    audit,
    candidates,
    cases,
    history,
    self_referrals,
    subject_keys,
)
from vfp_participants.bootstrap import Participants
from vfp_shared.auth import Role
from vfp_shared.contracts import CaseClosedV1, ComplaintOpenedV1, ConsentWithdrawnV1
from vfp_shared.testing import envelope

YEARS_AGO = sa.text("now() - interval '3 years'")


async def a_candidate(participants: Participants) -> tuple[str, CaseClosedV1]:
    closed = a_closed_case()
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(closed))
        await uow.commit()
    async with participants.runtime.engine.connect() as conn:
        ref = await conn.scalar(
            sa.select(candidates.c.participant_ref).where(
                candidates.c.victim_ref == closed.victim_ref
            )
        )
    assert ref is not None
    return ref, closed


async def steps(
    client: httpx.AsyncClient, coordinator: Any, ref: str, *done: tuple[str, Any]
) -> None:
    for step, body in done:
        response = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
        assert response.status_code == 200, (step, response.text)


async def last_changed_long_ago(engine: AsyncEngine, *refs: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref.in_(refs))
            .values(updated_at=YEARS_AGO)
        )


async def count(engine: AsyncEngine, table: sa.Table, where: Any) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(where))
    return int(found or 0)


async def test_final_candidates_past_retention_are_erased_and_recent_or_consented_are_kept(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    coordinator = bearer(participants.runtime.settings, Role.COORDINATOR)
    # A self-referred victim who declined long ago: a sealed name, a key of the candidate's.
    _, case = await a_candidate(participants)
    referred = await client.post(
        "/self-referrals",
        json={"name": fresh("Name"), "phone": "01234 567890", "case_ref": case.case_ref},
    )
    assert referred.status_code == 202, referred.text
    declined_old = await referred_candidate(engine, case.case_ref)
    await steps(
        client,
        coordinator,
        declined_old,
        ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
        ("decline", None),
    )
    # A force victim a coordinator excluded long ago: the victim's cases are held.
    excluded_old, excluded_case = await a_candidate(participants)
    await steps(
        client, coordinator, excluded_old, ("exclude", {"reason_code": "not_suitable_for_panel"})
    )
    # A victim who consented long ago (and has not withdrawn): kept, however old.
    consented_old, consented_case = await a_candidate(participants)
    await steps(
        client,
        coordinator,
        consented_old,
        ("approach", {"via": "support_worker", "by_ref": consented_case.support_worker_ref}),
        ("consent", {"mode": "live", "scopes": ["take_part"]}),
    )
    # A recent decline: within the retention period, kept.
    declined_recent, recent_case = await a_candidate(participants)
    await steps(
        client,
        coordinator,
        declined_recent,
        ("approach", {"via": "support_worker", "by_ref": recent_case.support_worker_ref}),
        ("decline", None),
    )
    # Kept out by screening for a complaint still open: kept, so the complaint is remembered.
    complained_old, complained_case = await a_candidate(participants)
    opened = ComplaintOpenedV1(
        complaint_ref=fresh("complaint"),
        case_ref=complained_case.case_ref,
        opened_at=datetime.now(UTC),
    )
    async with participants.runtime.units_of_work() as uow:
        await participants.runtime.consumer.handlers[ComplaintOpenedV1.TOPIC](uow, envelope(opened))
        await uow.commit()
    await last_changed_long_ago(engine, declined_old, excluded_old, consented_old, complained_old)
    assert await count(engine, self_referrals, self_referrals.c.participant_ref == declined_old)
    assert await count(engine, subject_keys, subject_keys.c.subject_ref == declined_old)

    swept = await client.post(
        "/screening/sweep", headers=bearer(participants.runtime.settings, Role.OPERATOR)
    )
    assert swept.status_code == 200, swept.text
    assert swept.json()["purged"] >= 2

    for ref in (declined_old, excluded_old):
        assert await count(engine, candidates, candidates.c.participant_ref == ref) == 0
        assert await count(engine, history, history.c.participant_ref == ref) == 0
        assert await count(engine, subject_keys, subject_keys.c.subject_ref == ref) == 0
        gone = await client.get(f"/candidates/{ref}", headers=coordinator)
        assert gone.status_code == 404
        purged = sa.and_(
            audit.c.subject_ref == ref,
            audit.c.action == "retention:purge",
            audit.c.actor == "system",
        )
        assert await count(engine, audit, purged) == 1
        # Nobody had consent to withdraw: no consent-withdrawn is queued.
        withdrawn = sa.and_(BUS.outbox.c.key == ref, BUS.outbox.c.topic == ConsentWithdrawnV1.TOPIC)
        assert await count(engine, BUS.outbox, withdrawn) == 0
    sealed = self_referrals.c.participant_ref == declined_old
    assert await count(engine, self_referrals, sealed) == 0
    assert await count(engine, cases, cases.c.victim_ref == excluded_case.victim_ref) == 0

    for ref, status in (
        (consented_old, "consented"),
        (declined_recent, "declined"),
        (complained_old, "excluded"),
    ):
        kept = await client.get(f"/candidates/{ref}", headers=coordinator)
        assert kept.status_code == 200, kept.text
        assert kept.json()["status"] == status
    assert await count(engine, cases, cases.c.victim_ref == consented_case.victim_ref) == 1

    # Purged once: the next sweep finds nothing more of theirs.
    again = await client.post("/screening/sweep", headers=coordinator)
    assert again.status_code == 200
    for ref in (declined_old, excluded_old):
        purged = sa.and_(audit.c.subject_ref == ref, audit.c.action == "retention:purge")
        assert await count(engine, audit, purged) == 1


async def test_a_purged_victim_excluded_after_consenting_is_withdrawn_everywhere(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    coordinator = bearer(participants.runtime.settings, Role.COORDINATOR)
    ref, case = await a_candidate(participants)
    await steps(
        client,
        coordinator,
        ref,
        ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
        ("consent", {"mode": "live", "scopes": ["take_part"]}),
        ("exclude", {"reason_code": "not_suitable_for_panel"}),
    )
    await last_changed_long_ago(engine, ref)

    swept = await client.post("/screening/sweep", headers=coordinator)
    assert swept.status_code == 200, swept.text

    assert await count(engine, candidates, candidates.c.participant_ref == ref) == 0
    # Other services heard of the consent: the purge withdraws it, so they erase theirs.
    withdrawn = sa.and_(BUS.outbox.c.key == ref, BUS.outbox.c.topic == ConsentWithdrawnV1.TOPIC)
    assert await count(engine, BUS.outbox, withdrawn) == 1


async def test_a_declined_victim_with_a_complaint_still_open_is_kept(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    coordinator = bearer(participants.runtime.settings, Role.COORDINATOR)
    ref, case = await a_candidate(participants)
    await steps(
        client,
        coordinator,
        ref,
        ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
        ("decline", None),
    )
    opened = ComplaintOpenedV1(
        complaint_ref=fresh("complaint"), case_ref=case.case_ref, opened_at=datetime.now(UTC)
    )
    async with participants.runtime.units_of_work() as uow:
        await participants.runtime.consumer.handlers[ComplaintOpenedV1.TOPIC](uow, envelope(opened))
        await uow.commit()
    await last_changed_long_ago(engine, ref)

    swept = await client.post("/screening/sweep", headers=coordinator)
    assert swept.status_code == 200, swept.text

    kept = await client.get(f"/candidates/{ref}", headers=coordinator)
    assert kept.status_code == 200, kept.text
    assert await count(engine, cases, cases.c.victim_ref == case.victim_ref) == 1
