"""Delivery semantics of the batch consumer, on the real Kafka and PostgreSQL."""

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient

from tests.bus.builders import case_closed, run_id
from vfp_bench.contracts import BenchCandidateIdentifiedV1, BenchCaseClosedV1
from vfp_shared.bus.dead_letters import DLQ_HEADERS, dead_letter_topic
from vfp_shared.bus.relay import kafka_producer
from vfp_shared.envelope import Envelope, header_map
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.testing import TopicReader, end_offsets, envelope, publish, publish_raw


async def eventually(check: Callable[[], Coroutine[Any, Any, bool]], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def applied(probe: ServiceRuntime) -> dict[str, int]:
    async with probe.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(f"SELECT case_ref, times_applied FROM {probe.tables.schema}.closed_cases")
        )
        return {row.case_ref: row.times_applied for row in rows}


async def test_a_redelivered_event_has_no_second_effect(probe: ServiceRuntime) -> None:
    run = run_id()
    event = envelope(case_closed(f"case-{run}"))
    async with TopicReader(
        probe.settings.kafka_bootstrap_servers, BenchCandidateIdentifiedV1.TOPIC
    ) as out:
        # The same event three times, as after a crashed relay or a rebalance.
        await publish(probe.settings.kafka_bootstrap_servers, [event, event, event])
        await publish(probe.settings.kafka_bootstrap_servers, [case_closed(f"case-{run}-marker")])

        await eventually(lambda: _has(probe, f"case-{run}-marker"))
        assert (await applied(probe))[f"case-{run}"] == 1
        emitted = await out.events(
            lambda e: e.data.participant_ref == f"victim-case-{run}", count=2, timeout_s=3
        )
        assert len(emitted) == 1


async def _has(probe: ServiceRuntime, case_ref: str) -> bool:
    return case_ref in await applied(probe)


async def test_a_poison_message_is_dead_lettered_and_the_next_ones_still_apply(
    probe: ServiceRuntime,
) -> None:
    run = run_id()
    servers = probe.settings.kafka_bootstrap_servers
    key = f"case-{run}".encode()  # one key: one partition, so "the next ones" are really next
    good_before = envelope(case_closed(f"case-{run}"))
    poison = envelope(case_closed(f"case-{run}-poison"))
    good_after = envelope(case_closed(f"case-{run}-after"))
    async with TopicReader(servers, dead_letter_topic(BenchCaseClosedV1.TOPIC)) as dlq:
        await publish_raw(
            servers,
            BenchCaseClosedV1.TOPIC,
            good_before.kafka_value(),
            key=key,
            headers=good_before.kafka_headers(),
        )
        await publish_raw(
            servers,
            BenchCaseClosedV1.TOPIC,
            b'{"case_ref": "half a',
            key=key,
            headers=[*good_before.kafka_headers()[:1], ("ce_id", b"x")],
        )
        await publish_raw(
            servers,
            BenchCaseClosedV1.TOPIC,
            poison.kafka_value(),
            key=key,
            headers=poison.kafka_headers(),
        )
        await publish_raw(
            servers,
            BenchCaseClosedV1.TOPIC,
            good_after.kafka_value(),
            key=key,
            headers=good_after.kafka_headers(),
        )

        await eventually(lambda: _has(probe, f"case-{run}-after"))
        assert set(await applied(probe)) >= {f"case-{run}", f"case-{run}-after"}
        assert f"case-{run}-poison" not in await applied(probe)

        dead = await dlq.records(lambda r: r.key == key, count=2)
        assert len(dead) == 2
        malformed, failed = (header_map(r.headers) for r in dead)
        for headers in (malformed, failed):
            assert set(DLQ_HEADERS) <= set(headers)
            assert headers["dlq_original_topic"] == BenchCaseClosedV1.TOPIC
            assert headers["dlq_consumer_group"] == probe.consumer.group
        assert malformed["dlq_error_class"] == "MalformedEnvelope"
        assert failed["dlq_error_class"] == "ProbeFailure"
        assert int(malformed["dlq_original_offset"]) < int(failed["dlq_original_offset"])
        assert failed["ce_id"] == str(poison.id)


async def test_offsets_are_committed_only_after_the_transaction(probe: ServiceRuntime) -> None:
    """While the handler is inside its transaction the group's committed offset has not moved
    (an ack-first consumer would already have committed); once it commits, it has."""
    run = run_id()
    [(topic, handle)] = probe.consumer.handlers.items()
    inside, release = asyncio.Event(), asyncio.Event()

    async def held_open(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handle(uow, event)
        if event.data.case_ref == f"case-{run}":
            inside.set()
            await release.wait()

    probe.consumer.handlers[topic] = held_open
    try:
        await publish(probe.settings.kafka_bootstrap_servers, [case_closed(f"case-{run}")])
        await asyncio.wait_for(inside.wait(), 20)
        # Longer than Kafka's auto-commit interval (5 s), which an ack-first consumer uses.
        await asyncio.sleep(5.5)
        assert await _group_lag(probe, wait_for_zero_s=0) == 1
        release.set()
        await eventually(lambda: _has(probe, f"case-{run}"))
        assert await _group_lag(probe, wait_for_zero_s=10) == 0
    finally:
        release.set()
        probe.consumer.handlers[topic] = handle


async def _group_lag(probe: ServiceRuntime, *, wait_for_zero_s: float) -> int:
    """The group's lag on the probe's topic (waiting up to `wait_for_zero_s` for it to be 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=probe.settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        deadline = time.monotonic() + wait_for_zero_s
        while True:
            committed = await admin.list_consumer_group_offsets(probe.consumer.group)
            ends = await end_offsets(probe.settings, BenchCaseClosedV1.TOPIC)
            lag = sum(
                end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items()
            )
            if lag == 0 or time.monotonic() >= deadline:
                return lag
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def test_one_keys_events_take_effect_in_order_through_retries_and_isolation(
    probe: ServiceRuntime,
) -> None:
    """Ten events of one key in one batch: the 4th always fails (the batch is retried, then
    applied event by event and it is dead-lettered), the 7th fails twice as the database
    would (retried in place). The other nine take effect once each, in their order: the
    events they emit, one key again, leave in that order."""
    run = run_id()
    servers = probe.settings.kafka_bootstrap_servers
    victim = f"victim-{run}"
    events = [
        envelope(
            case_closed(
                f"case-{run}-{i}" + ("-poison" if i == 4 else ""), victim_ref=victim
            ).model_copy(update={"oic_ref": f"seq-{i}"})
        )
        for i in range(1, 11)
    ]
    [(topic, handle)] = probe.consumer.handlers.items()
    flaky_left = 2

    async def flaky(uow: UnitOfWork, event: Envelope[Any]) -> None:
        nonlocal flaky_left
        if event.data.oic_ref == "seq-7" and flaky_left:
            flaky_left -= 1
            raise ConnectionResetError("database went away")  # transient: retried in place
        await handle(uow, event)

    probe.consumer.handlers[topic] = flaky
    try:
        async with (
            TopicReader(servers, BenchCandidateIdentifiedV1.TOPIC) as out,
            TopicReader(servers, dead_letter_topic(BenchCaseClosedV1.TOPIC)) as dlq,
        ):
            await _publish_on_one_key(servers, f"case-{run}".encode(), events)
            emitted = await out.events(
                lambda e: e.data.participant_ref == victim, count=9, then_quiet_s=1
            )
            dead = await dlq.records(lambda r: r.key == f"case-{run}".encode(), count=1)
    finally:
        probe.consumer.handlers[topic] = handle

    assert [e.data.supporter_ref for e in emitted] == [f"seq-{i}" for i in range(1, 11) if i != 4]
    assert len({e.data.supporter_ref for e in emitted}) == 9
    assert flaky_left == 0
    assert header_map(dead[0].headers)["ce_id"] == str(events[3].id)
    assert (await applied(probe)).get(f"case-{run}-7") == 1


async def _publish_on_one_key(servers: str, key: bytes, events: list[Envelope[Any]]) -> None:
    """One key: one partition, so the consumer sees them in this order (in one batch)."""
    producer = kafka_producer(servers)
    await producer.start()
    try:
        sent = [
            await producer.send(e.topic, e.kafka_value(), key=key, headers=e.kafka_headers())
            for e in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
