"""The retention purge on the real database: finished sends unchanged for the retention period
leave the delivery log, and participant records as idle, named by no remaining send, are
forgotten; pending sends, recent ones and the records a kept send names stay."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from notifications_checks import knows_participant
from notifications_events import candidate_excluded, consent_given, consent_withdrawn, ref
from notifications_stand_ins import eventually
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.adapters import sends
from vfp_notifications.adapters.tables import audit, notifications
from vfp_notifications.bootstrap import Notifications, build
from vfp_notifications.domain.model import Channel, Status, Template
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups
from vfp_notifications.service_layer.retention import RetentionPurge, purge_batch
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.auth import Role, issue_token
from vfp_shared.contracts import CandidateExcludedV1, ConsentGivenV1, ConsentWithdrawnV1

Write = Callable[..., Awaitable[list[UUID]]]
Fact = ConsentGivenV1 | ConsentWithdrawnV1 | CandidateExcludedV1


def years_ago() -> datetime:
    """Well past the retention period (730 days by default)."""
    return handlers.utc_now() - timedelta(days=3 * 365)


def lately() -> datetime:
    return handlers.utc_now() - timedelta(days=30)


def a_send(status: Status, **changes: Any) -> dict[str, Any]:
    """A row of the sends table, last changed years ago unless `changes` say otherwise."""
    return {
        "notification_ref": uuid4(),
        "source_event_id": uuid4(),
        "source_topic": "learning.endorsement-requested.v1",
        "template": Template.ENDORSEMENT_REQUESTED.value,
        "recipient_ref": ref("isva"),
        "channel": Channel.EMAIL.value,
        "status": status,
        "due_at": years_ago(),
        "updated_at": years_ago(),
        **changes,
    }


@pytest.fixture
async def written(service: Notifications, engine: AsyncEngine) -> AsyncIterator[Write]:
    """Writes sends as they are at some point of their story; what the purge leaves is
    removed afterwards, so no pending row is left for the dispatcher of a later run."""
    refs: list[UUID] = []

    async def write(*rows: dict[str, Any]) -> list[UUID]:
        async with service.runtime.units_of_work() as uow:
            for row in rows:  # one by one: the rows differ in which columns they set
                await sends.add(uow.session, [row])
            await uow.commit()
        refs.extend(row["notification_ref"] for row in rows)
        return [row["notification_ref"] for row in rows]

    yield write
    async with engine.begin() as conn:
        await conn.execute(
            sa.delete(notifications).where(notifications.c.notification_ref.in_(refs))
        )


async def remaining(engine: AsyncEngine, refs: list[UUID]) -> set[UUID]:
    async with engine.connect() as conn:
        found = await conn.scalars(
            sa.select(notifications.c.notification_ref).where(
                notifications.c.notification_ref.in_(refs)
            )
        )
        return set(found)


async def recorded(service: Notifications, *facts: Fact) -> None:
    """Apply participants' events as the consumer does, one transaction each."""
    for fact in facts:
        async with service.runtime.units_of_work() as uow:
            lookups = Lookups(uow.session, service.directory_for(uow.session))
            if isinstance(fact, ConsentGivenV1):
                await handlers.record_consent(uow, fact, lookups)
            elif isinstance(fact, ConsentWithdrawnV1):
                await handlers.withdraw(uow, fact, lookups)
            else:
                await handlers.exclude(uow, fact, lookups)
            await uow.commit()


def consented_years_ago(victim: str) -> ConsentGivenV1:
    return consent_given(victim, ref("isva"), given_at=years_ago())


async def purge_audits(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(audit).where(audit.c.action == "retention:purge").order_by(audit.c.id)
        )
        return list(rows)


async def test_finished_sends_past_retention_go_and_pending_in_flight_or_recent_ones_stay(
    service: Notifications, engine: AsyncEngine, written: Write
) -> None:
    later = handlers.utc_now() + timedelta(days=1)
    finished = await written(
        a_send(Status.SENT, sent_at=years_ago()),
        a_send(Status.CANCELLED, reason_code="consent_withdrawn"),
        a_send(Status.FAILED, reason_code="recipient_not_in_directory"),
    )
    kept = await written(
        # Failed lately: still in the log (and retryable).
        a_send(Status.FAILED, updated_at=lately()),
        # Pending (deferred to tomorrow), however long ago it last changed.
        a_send(Status.PENDING, due_at=later),
        # Under a dispatcher's lease.
        a_send(Status.PENDING, due_at=later, claimed_until=later),
        # Cancelled since its claim, its lease still running: the dispatcher may yet write it.
        a_send(Status.CANCELLED, claimed_until=later),
    )

    purged = await service.retention.purge()

    assert purged.notifications >= len(finished)
    assert await remaining(engine, finished + kept) == set(kept)


async def test_idle_participant_records_no_remaining_send_names_are_forgotten(
    service: Notifications, engine: AsyncEngine, written: Write
) -> None:
    idle, named_by_kept, named_by_old = ref("victim"), ref("victim"), ref("victim")
    withdrew_long_ago, withdrew_lately, excluded_lately = (
        ref("victim"),
        ref("victim"),
        ref("victim"),
    )
    consented_lately = ref("victim")
    await recorded(
        service,
        *map(consented_years_ago, [idle, named_by_kept, named_by_old, excluded_lately]),
        *map(consented_years_ago, [withdrew_long_ago, withdrew_lately]),
        consent_withdrawn(withdrew_long_ago, years_ago() + timedelta(days=1)),
        consent_withdrawn(withdrew_lately, lately()),
        candidate_excluded(excluded_lately, at=lately()),
        consent_given(consented_lately, ref("isva"), given_at=lately()),
    )
    [kept_send] = await written(
        a_send(Status.FAILED, updated_at=lately(), about_refs=[named_by_kept, ref("victim")])
    )
    [old_send] = await written(a_send(Status.SENT, about_refs=[named_by_old]))

    await service.retention.purge()

    forgotten = [idle, named_by_old, withdrew_long_ago]
    known = [named_by_kept, withdrew_lately, excluded_lately, consented_lately]
    assert [await knows_participant(engine, v) for v in forgotten] == [False] * 3
    assert [await knows_participant(engine, v) for v in known] == [True] * 4
    # The send that named one went in the same run, and so did they.
    assert await remaining(engine, [kept_send, old_send]) == {kept_send}


async def test_a_purge_is_audited_with_its_counts_only(
    service: Notifications, engine: AsyncEngine, written: Write
) -> None:
    victim = ref("victim")
    await recorded(service, consented_years_ago(victim))
    await written(
        a_send(Status.SENT, about_refs=[victim]), a_send(Status.CANCELLED, about_refs=[victim])
    )
    before = len(await purge_audits(engine))

    purged = await service.retention.purge()

    assert purged.notifications >= 2 and purged.participants >= 1
    [entry] = (await purge_audits(engine))[before:]
    assert (entry.actor, entry.subject_ref) == ("system", "retention")
    assert entry.reason == (
        f"{purged.notifications} finished notification(s) and {purged.participants} "
        "participant record(s) unchanged for 730 days deleted"
    )
    # Nothing left to purge: no entry.
    assert (await service.retention.purge()).notifications == 0
    assert len(await purge_audits(engine)) == before + 1


async def test_the_purge_goes_in_bounded_batches_and_skips_what_another_holds(
    service: Notifications, engine: AsyncEngine, written: Write
) -> None:
    old = await written(*(a_send(Status.SENT) for _ in range(7)))
    small = RetentionPurge(
        units_of_work=service.runtime.units_of_work, retention_days=730, interval_s=0, batch_size=2
    )
    async with service.runtime.units_of_work() as uow:
        batch = await purge_batch(uow, now=handlers.utc_now(), retention_days=730, limit=2)
        await uow.commit()
    assert batch.notifications == 2
    assert len(await remaining(engine, old)) == 5

    # Another instance holds one of them: the purge does not wait for it, and takes the rest
    # batch after batch.
    held = sorted(await remaining(engine, old))[0]
    async with service.runtime.units_of_work() as other:
        await other.session.execute(
            sa.select(notifications.c.notification_ref)
            .where(notifications.c.notification_ref == held)
            .with_for_update()
        )
        before = len(await purge_audits(engine))
        await asyncio.wait_for(small.purge(), timeout=5)
    assert await remaining(engine, old) == {held}
    assert len(await purge_audits(engine)) - before >= 2


async def test_the_timer_purges_while_the_service_runs_and_stops_with_it(
    settings: NotificationsSettings, engine: AsyncEngine, written: Write
) -> None:
    timed = build(
        settings.model_copy(update={"notifications_retention_sweep_interval_s": 0.05}),
        group="notifications-tests-retention",
    )

    async def gone(refs: list[UUID]) -> bool:
        return not await remaining(engine, refs)

    async def purging() -> float:
        """Run the timer until it has purged twice; returns how long it then took to stop."""
        async with timed.purging():
            for which in ("first", "next"):
                due = await written(a_send(Status.SENT))
                await eventually(partial(gone, due), timeout_s=5, what=f"the {which} purge")
            stopping = time.monotonic()
        return time.monotonic() - stopping

    try:
        assert await purging() < 5
        stopped = await written(a_send(Status.SENT))
        await asyncio.sleep(0.3)
        assert await remaining(engine, stopped) == set(stopped)
    finally:
        await timed.http_client.aclose()
        await timed.runtime.engine.dispose()


async def test_a_coordinator_or_operator_purges_on_demand_and_it_is_audited(
    client: httpx.AsyncClient,
    coordinator: dict[str, str],
    settings: NotificationsSettings,
    engine: AsyncEngine,
    written: Write,
) -> None:
    [due] = await written(a_send(Status.FAILED))
    assert (await client.post("/retention/purge")).status_code == 401
    staff = issue_token(settings.jwt_key, "pc-1", [Role.STAFF])
    forbidden = await client.post("/retention/purge", headers={"Authorization": f"Bearer {staff}"})
    assert forbidden.status_code == 403
    assert await remaining(engine, [due]) == {due}

    response = await client.post("/retention/purge", headers=coordinator)

    assert response.status_code == 200, response.text
    assert response.json()["notifications"] >= 1 and set(response.json()) == {
        "notifications",
        "participants",
    }
    assert await remaining(engine, [due]) == set()
    assert (await purge_audits(engine))[-1].actor == "coordinator-1"


def test_the_retention_period_is_never_shorter_than_the_inbox_remembers_event_ids(
    settings: NotificationsSettings,
) -> None:
    # Else a tombstone could go before a redelivered event about its victim arrives.
    with pytest.raises(ValidationError, match="notifications_retention_days"):
        NotificationsSettings(**{**settings.model_dump(), "notifications_retention_days": 13})
    NotificationsSettings(**{**settings.model_dump(), "notifications_retention_days": 14})
