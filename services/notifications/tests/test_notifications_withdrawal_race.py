"""A victim's withdrawal (or exclusion) and an event about them, applied at the same moment by
two instances: the second waits for the first to commit (the victim's lock), so a send about
them is never queued after the withdrawal, nor missed by it."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from notifications_checks import deliveries
from notifications_events import (
    candidate_excluded,
    consent_given,
    consent_withdrawn,
    endorsement_requested,
    ref,
)
from notifications_stand_ins import eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.bootstrap import Notifications
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork

Apply = Callable[[UnitOfWork, Lookups], Awaitable[None]]


def lookups_for(service: Notifications, uow: UnitOfWork) -> Lookups:
    return Lookups(uow.session, service.directory_for(uow.session))


async def in_another_instance(service: Notifications, apply: Apply) -> tuple[int, asyncio.Task]:  # type: ignore[type-arg]
    """Start `apply` in a transaction of its own; returns its database backend and its task."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def run() -> None:
        async with service.runtime.units_of_work() as uow:
            started.set_result(await uow.session.scalar(sa.text("SELECT pg_backend_pid()")))
            await apply(uow, lookups_for(service, uow))
            await uow.commit()

    task = asyncio.create_task(run())
    return await started, task


async def waiting_for_a_lock(engine: AsyncEngine, backend: int) -> bool:
    async with engine.connect() as conn:
        waits = await conn.scalar(
            sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": backend},
        )
    return bool(waits == "Lock")


async def consented(service: Notifications, victim: str, supporter: str) -> None:
    async with service.runtime.units_of_work() as uow:
        await handlers.record_consent(
            uow, consent_given(victim, supporter), lookups_for(service, uow)
        )
        await uow.commit()


async def test_an_event_about_a_victim_withdrawing_meanwhile_waits_and_queues_nothing(
    service: Notifications, engine: AsyncEngine, client: Any, coordinator: dict[str, str]
) -> None:
    victim = ref("victim")
    await consented(service, victim, ref("isva"))
    event = Envelope(endorsement_requested(participant_ref=victim, supporter_ref=None), source="/t")

    async def enqueue(uow: UnitOfWork, lookups: Lookups) -> None:
        await handlers.enqueue(uow, event, lookups, service.channels, handlers.utc_now())

    async with service.runtime.units_of_work() as withdrawing:
        await handlers.withdraw(
            withdrawing, consent_withdrawn(victim), lookups_for(service, withdrawing)
        )
        backend, enqueueing = await in_another_instance(service, enqueue)
        await eventually(lambda: waiting_for_a_lock(engine, backend), timeout_s=5, what="a wait")
        await withdrawing.commit()
    await enqueueing

    assert await deliveries(client, coordinator, source_event_id=str(event.id)) == []


@pytest.mark.parametrize("stop", ["withdrawal", "exclusion"])
async def test_a_withdrawal_or_exclusion_during_an_event_about_the_victim_finds_its_send(
    stop: str, service: Notifications, engine: AsyncEngine
) -> None:
    # The supporter is not in the directory: the send fails at once and stays out of the
    # dispatcher's way, keeping what a retry would send.
    victim = ref("victim")
    await consented(service, victim, ref("isva"))
    event = Envelope(endorsement_requested(participant_ref=victim, supporter_ref=None), source="/t")

    async def stopping(uow: UnitOfWork, lookups: Lookups) -> None:
        if stop == "withdrawal":
            await handlers.withdraw(uow, consent_withdrawn(victim), lookups)
        else:
            await handlers.exclude(uow, candidate_excluded(victim), lookups)

    async with service.runtime.units_of_work() as queuing:
        await handlers.enqueue(
            queuing, event, lookups_for(service, queuing), service.channels, handlers.utc_now()
        )
        backend, stopped = await in_another_instance(service, stopping)
        await eventually(lambda: waiting_for_a_lock(engine, backend), timeout_s=5, what="a wait")
        await queuing.commit()
    await stopped

    async with engine.connect() as conn:
        [(about_refs, context)] = (
            await conn.execute(
                sa.text(
                    "SELECT about_refs, context FROM notifications.notifications "
                    "WHERE source_event_id = :id"
                ),
                {"id": event.id},
            )
        ).all()
    assert context is None  # nothing left to send again
    assert (victim in about_refs) is (stop == "exclusion")  # only a withdrawal erases the ref
