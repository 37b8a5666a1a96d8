"""One victim's sourcing and withdrawal at the same time, on the real database: the victim's
lock makes them run one after another, so a victim who withdrew is never sourced again."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from participants_builders import a_closed_case, bearer, candidate_row, eventually, fresh

from vfp_participants.adapters.tables import cases
from vfp_participants.bootstrap import Participants
from vfp_participants.service_layer import lifecycle
from vfp_shared.auth import Principal, Role
from vfp_shared.contracts import CaseClosedV1, ClientNominatedV1, VictimFlaggedV1
from vfp_shared.contracts.base import Contract
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


async def _apply(participants: Participants, event: Contract, pid: asyncio.Future[int]) -> None:
    """Apply the event through its bus handler in a transaction of its own."""
    handler = participants.runtime.consumer.handlers[event.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        pid.set_result(int(await uow.session.scalar(sa.text("SELECT pg_backend_pid()"))))
        await handler(uow, envelope(event))
        await uow.commit()


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

    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with participants.runtime.units_of_work() as withdrawal:
        await lifecycle.withdraw(withdrawal, participants.services, COORDINATOR, ref)
        event = asyncio.create_task(
            _apply(participants, SOURCING[sourcing](closed.victim_ref), pid)
        )
        backend = await pid

        async def blocked() -> bool:
            return await _waiting_for_a_lock(participants, backend)

        await eventually(blocked, what="the event to wait for the withdrawal")
        await withdrawal.commit()
    await event

    assert await candidate_row(participants.runtime.engine, closed.victim_ref) is None
    async with participants.runtime.engine.connect() as conn:
        kept: Any = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(cases)
            .where(cases.c.victim_ref == closed.victim_ref)
        )
    assert kept == 0
