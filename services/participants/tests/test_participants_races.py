"""One victim's sourcing and withdrawal at the same time, on the real database: the victim's
lock makes them run one after another, so a victim who withdrew is never sourced again; a
claimer gone while their case closes leaves the victim a candidate; and the do-not-contact list
takes its locks in the order the rest does."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from participants_builders import (
    a_closed_case,
    bearer,
    candidate_row,
    eventually,
    fresh,
    referred_candidate,
)
from sqlalchemy.exc import DBAPIError

from vfp_participants.adapters.tables import candidates, cases, do_not_contact
from vfp_participants.bootstrap import Participants
from vfp_participants.service_layer import lifecycle, retention
from vfp_shared.auth import Principal, Role
from vfp_shared.contracts import CaseClosedV1, ClientNominatedV1, VictimFlaggedV1
from vfp_shared.contracts.base import Contract
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.testing import envelope

COORDINATOR = Principal("coordinator-race", frozenset({Role.COORDINATOR}), None)

SOURCING: dict[str, Callable[[str], Contract]] = {
    "case closed": lambda victim_ref: a_closed_case(victim_ref=victim_ref),
    "client nominated": lambda victim_ref: ClientNominatedV1(
        victim_ref=victim_ref,
        service_ref="service-da",
        support_worker_ref=fresh("worker"),
        nominated_at=datetime.now(UTC),
    ),
    "victim flagged": lambda victim_ref: VictimFlaggedV1(
        victim_ref=victim_ref,
        case_ref=fresh("case"),
        flagged_by_ref=fresh("officer"),
        flagged_at=datetime.now(UTC),
    ),
}


async def _waiting_for_a_lock(participants: Participants, pid: int) -> bool:
    async with participants.runtime.engine.connect() as conn:
        waiting = await conn.scalar(
            sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": pid},
        )
    return bool(waiting)


@pytest.mark.parametrize("sourcing", sorted(SOURCING))
async def test_an_event_applied_while_the_victim_withdraws_does_not_source_them_again(
    participants: Participants, client: httpx.AsyncClient, sourcing: str
) -> None:
    closed = a_closed_case()
    async with participants.runtime.units_of_work() as uow:
        await participants.runtime.consumer.handlers[CaseClosedV1.TOPIC](uow, envelope(closed))
        await uow.commit()
    ref = (await candidate_row(participants.runtime.engine, closed.victim_ref)).participant_ref
    approach = {"via": "support_worker", "by_ref": closed.support_worker_ref}
    approached = await client.post(
        f"/candidates/{ref}/approach",
        json=approach,
        headers=bearer(participants.runtime.settings, Role.COORDINATOR),
    )
    assert approached.status_code == 200, approached.text

    event = SOURCING[sourcing](closed.victim_ref)
    handler = participants.runtime.consumer.handlers[event.TOPIC]
    async with participants.runtime.units_of_work() as withdrawal:
        await lifecycle.withdraw(withdrawal, participants.services, COORDINATOR, ref)
        applied = await _start_and_wait_until_blocked(
            participants, lambda uow: handler(uow, envelope(event))
        )
        await withdrawal.commit()
    await applied

    assert await candidate_row(participants.runtime.engine, closed.victim_ref) is None
    async with participants.runtime.engine.connect() as conn:
        kept: Any = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(cases)
            .where(cases.c.victim_ref == closed.victim_ref)
        )
    assert kept == 0


async def _run(
    participants: Participants,
    work: Callable[[UnitOfWork], Awaitable[Any]],
    pid: asyncio.Future[int],
) -> None:
    """`work` in a transaction of its own, telling its backend's pid first."""
    async with participants.runtime.units_of_work() as uow:
        pid.set_result(int(await uow.session.scalar(sa.text("SELECT pg_backend_pid()"))))
        await work(uow)
        await uow.commit()


async def _start_and_wait_until_blocked(
    participants: Participants, work: Callable[[UnitOfWork], Awaitable[Any]]
) -> asyncio.Task[None]:
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_run(participants, work, pid))
    backend = await pid

    async def blocked() -> bool:
        return await _waiting_for_a_lock(participants, backend)

    await eventually(blocked, what="the other transaction to wait for a lock")
    return task


async def _excluded_claimer(
    participants: Participants, client: httpx.AsyncClient
) -> tuple[str, CaseClosedV1]:
    """A self-referrer claiming a case the force has not closed yet, excluded by a coordinator
    (so they may withdraw, and the purge may take them)."""
    closed = a_closed_case()
    body = {
        "name": fresh("Name"),
        "email": f"{fresh('e')}@example.org",
        "case_ref": closed.case_ref,
    }
    assert (await client.post("/self-referrals", json=body)).status_code == 202
    claimer = await referred_candidate(participants.runtime.engine, closed.case_ref)
    excluded = await client.post(
        f"/candidates/{claimer}/exclude",
        json={"reason_code": "not_suitable_for_panel"},
        headers=bearer(participants.runtime.settings, Role.COORDINATOR),
    )
    assert excluded.status_code == 200, excluded.text
    return claimer, closed


async def _withdraw(participants: Participants, uow: UnitOfWork, claimer: str) -> None:
    await lifecycle.withdraw(uow, participants.services, COORDINATOR, claimer)


async def _purge(participants: Participants, uow: UnitOfWork, claimer: str) -> None:
    async with participants.runtime.engine.begin() as conn:
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref == claimer)
            .values(updated_at=sa.text("now() - interval '3 years'"))
        )
    assert await retention.purge(uow, participants.services) >= 1


@pytest.mark.parametrize("gone", [_withdraw, _purge], ids=["withdrawn", "purged"])
async def test_a_claimer_gone_while_the_force_closes_their_case_leaves_the_victim_a_candidate(
    participants: Participants,
    client: httpx.AsyncClient,
    gone: Callable[[Participants, UnitOfWork, str], Awaitable[None]],
) -> None:
    """The closure sees the claimer (so creates no candidate for the victim) and finds it gone
    once it may lock its row: the victim must not be left without a candidate."""
    claimer, closed = await _excluded_claimer(participants, client)
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as taking_away:
        await gone(participants, taking_away, claimer)
        closure = await _start_and_wait_until_blocked(
            participants, lambda uow: handler(uow, envelope(closed))
        )
        await taking_away.commit()
    await closure

    row = await candidate_row(participants.runtime.engine, closed.victim_ref)
    assert row is not None and row.participant_ref != claimer
    assert (row.status, row.sources) == ("identified", ["force_case"])


async def test_taking_an_entry_off_the_list_locks_the_candidate_before_the_entry(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    """The order adding to the list and withdrawal take them in (else the two deadlock)."""
    closed = a_closed_case()
    async with participants.runtime.units_of_work() as uow:
        await participants.runtime.consumer.handlers[CaseClosedV1.TOPIC](uow, envelope(closed))
        await uow.commit()
    ref = (await candidate_row(participants.runtime.engine, closed.victim_ref)).participant_ref
    listed = await client.post(
        "/do-not-contact",
        json={"participant_ref": ref},
        headers=bearer(participants.runtime.settings, Role.COORDINATOR),
    )
    assert listed.status_code == 201, listed.text
    entry_id = participants.services.victim_digest(closed.victim_ref)

    async with participants.runtime.engine.connect() as holder:
        await holder.execute(
            sa.select(candidates.c.status)
            .where(candidates.c.participant_ref == ref)
            .with_for_update()
        )
        removal = await _start_and_wait_until_blocked(
            participants,
            lambda uow: lifecycle.remove_do_not_contact_entry(
                uow, participants.services, COORDINATOR, entry_id
            ),
        )
        try:  # the removal waits for the candidate holding no lock on the entry yet
            await holder.execute(
                sa.select(do_not_contact.c.digest)
                .where(do_not_contact.c.digest == entry_id)
                .with_for_update(nowait=True)
            )
        except DBAPIError as locked:
            raise AssertionError("the entry was locked before the candidate") from locked
        finally:
            await holder.rollback()
    await removal

    row = await candidate_row(participants.runtime.engine, closed.victim_ref)
    assert (row.status, row.reason_codes) == ("identified", [])
