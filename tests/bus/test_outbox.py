"""The transactional outbox and its relay, on the real Kafka and PostgreSQL."""

import asyncio

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.exc import IntegrityError

from tests.bus.builders import case_closed, run_id
from tests.bus.test_inbox_and_dead_letters import applied, eventually
from vfp_bench.contracts import BenchCaseClosedV1
from vfp_bench.probe import build_probe, create_schema
from vfp_shared.bus.relay import OutboxRelay, kafka_producer
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import TopicReader


class RelayThatCrashesBeforeMarking(OutboxRelay):
    """Publishes, then dies before the rows are marked sent (the transaction rolls back)."""

    published = 0

    async def _publish(self, rows):  # type: ignore[no-untyped-def]
        await super()._publish(rows)
        self.published += len(rows)
        raise ConnectionResetError("relay crashed after publishing")


async def unsent(runtime: ServiceRuntime) -> int:
    async with runtime.engine.connect() as conn:
        return int(
            await conn.scalar(
                sa.text(
                    f"SELECT count(*) FROM {runtime.tables.schema}.outbox "
                    "WHERE sent_at IS NULL AND failed_at IS NULL"
                )
            )
            or 0
        )


async def upstream(settings: PlatformSettings) -> ServiceRuntime:
    """A second probe whose outbox we write into by hand, playing an upstream service."""
    name = f"upstream_{run_id()}"
    runtime = build_probe(settings, schema=name, group=name)
    await create_schema(runtime)
    return runtime


async def test_a_rolled_back_transaction_publishes_nothing(
    platform_settings: PlatformSettings,
) -> None:
    """The transaction fails at COMMIT, after its domain row and its outbox rows were written:
    neither survives, and a relay finds nothing to publish."""
    source = await upstream(platform_settings)
    schema, key = source.tables.schema, f"case-{run_id()}"
    async with source.engine.begin() as conn:
        # Checked only at COMMIT: the failure comes after every write of the unit of work.
        await conn.execute(sa.text(f"CREATE TABLE {schema}.parents (id int PRIMARY KEY)"))
        await conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.children (parent int REFERENCES {schema}.parents "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    orphan = sa.text(f"INSERT INTO {schema}.children VALUES (:parent)")
    async with TopicReader(
        platform_settings.kafka_bootstrap_servers, BenchCaseClosedV1.TOPIC
    ) as out:
        with pytest.raises(IntegrityError):
            async with source.units_of_work() as uow:
                await uow.session.execute(
                    sa.text(f"INSERT INTO {schema}.closed_cases VALUES (:key, 'v', 1)"),
                    {"key": key},
                )
                uow.emit(case_closed(key))
                uow.stage(orphan, {"parent": 42})
                await uow.commit()
        await relay_everything(platform_settings, source)
        assert await out.events(lambda e: e.data.case_ref == key, count=1, timeout_s=2) == []
    async with source.engine.connect() as conn:
        for table in ("outbox", "closed_cases"):
            assert await conn.scalar(sa.text(f"SELECT count(*) FROM {schema}.{table}")) == 0
    await source.engine.dispose()


async def test_a_crash_between_publish_and_mark_gives_no_double_effect_downstream(
    platform_settings: PlatformSettings, probe: ServiceRuntime
) -> None:
    source = await upstream(platform_settings)
    run = run_id()
    duplicates_before = duplicates_skipped(probe)
    async with source.units_of_work() as uow:
        for i in range(5):
            uow.emit(case_closed(f"case-{run}-{i}"))
        await uow.commit()
    producer = kafka_producer(platform_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        crashing = RelayThatCrashesBeforeMarking(
            service="upstream",
            tables=source.tables,
            producer=producer,
            database_url=platform_settings.database_url,
        )
        async with crashing:
            with pytest.raises(ConnectionResetError):
                await crashing.publish_pending()
        assert await unsent(source) == 5  # still unsent: the next relay sends them again
        relay = OutboxRelay(
            service="upstream",
            tables=source.tables,
            producer=producer,
            database_url=platform_settings.database_url,
        )
        async with relay:
            published = 0
            while sent := await relay.publish_pending():
                published += sent
        assert published == 5 and await unsent(source) == 0
    finally:
        await producer.stop()
        await source.engine.dispose()

    wanted = {f"case-{run}-{i}" for i in range(5)}
    await eventually(lambda: _all_applied(probe, wanted))
    # Wait for the second copies too: the inbox must have seen and skipped each of them.
    assert crashing.published > 0
    await eventually(lambda: _duplicates_seen(probe, duplicates_before + crashing.published))
    counts = await applied(probe)
    assert {ref: counts[ref] for ref in wanted} == dict.fromkeys(wanted, 1)


def duplicates_skipped(probe: ServiceRuntime) -> float:
    sample = REGISTRY.get_sample_value("vfp_events_duplicate_total", {"service": probe.name})
    return sample or 0.0


async def _duplicates_seen(probe: ServiceRuntime, at_least: float) -> bool:
    return duplicates_skipped(probe) >= at_least


async def _all_applied(probe: ServiceRuntime, refs: set[str]) -> bool:
    return refs <= set(await applied(probe))


async def test_two_relays_share_the_work_and_each_keys_events_leave_in_commit_order(
    platform_settings: PlatformSettings,
) -> None:
    source = await upstream(platform_settings)
    run = run_id()
    keys = [f"case-{run}-{k}" for k in range(16)]
    async with TopicReader(
        platform_settings.kafka_bootstrap_servers, BenchCaseClosedV1.TOPIC
    ) as out:
        for batch in range(4):  # several transactions, interleaving the keys
            async with source.units_of_work() as uow:
                for seq in range(batch * 5, batch * 5 + 5):
                    for key in keys:
                        uow.emit(case_closed(key, note=f"seq-{seq:03d}"))
                await uow.commit()
        sent = await relay_everything(platform_settings, source, relays=2)
        events = await out.events(lambda e: e.data.case_ref in keys, count=320, then_quiet_s=1)
    await source.engine.dispose()
    assert sum(sent) == 320 and min(sent) > 0, sent  # each relay took a share, none twice
    assert len(events) == 320
    for key in keys:
        seqs = [e.data.offence_category for e in events if e.data.case_ref == key]
        assert seqs == sorted(seqs) and len(seqs) == 20


async def test_the_trace_continues_across_a_publish_consume_hop(probe: ServiceRuntime) -> None:
    from vfp_bench.contracts import BenchCandidateIdentifiedV1
    from vfp_shared.testing import envelope, publish

    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    run = run_id()
    incoming = envelope(
        case_closed(f"case-{run}"), traceparent=f"00-{trace_id}-00f067aa0ba902b7-01"
    )
    async with TopicReader(bootstrap_of(probe), BenchCandidateIdentifiedV1.TOPIC) as out:
        await publish(bootstrap_of(probe), [incoming])
        [outgoing] = await out.events(
            lambda e: e.data.participant_ref == f"victim-case-{run}", count=1
        )
    assert outgoing.traceparent is not None
    assert outgoing.traceparent.split("-")[1] == trace_id
    # The span that wrote the event (the probe's), not the incoming one: the hop is visible.
    assert outgoing.traceparent.split("-")[2] != "00f067aa0ba902b7"


async def relay_everything(
    settings: PlatformSettings, source: ServiceRuntime, *, relays: int = 1
) -> list[int]:
    """Run `relays` relays side by side until the outbox is empty; how many rows each sent."""
    producer = kafka_producer(settings.kafka_bootstrap_servers)
    await producer.start()

    async def one_relay() -> int:
        relay = OutboxRelay(
            service="upstream",
            tables=source.tables,
            producer=producer,
            database_url=settings.database_url,
            batch_size=7,  # several relay batches
        )
        sent = 0
        async with relay:
            while published := await relay.publish_pending():
                sent += published
            while await unsent(source):  # the others still hold slots: wait and look again
                await asyncio.sleep(0.05)
                sent += await relay.publish_pending()
        return sent

    try:
        return list(await asyncio.gather(*(one_relay() for _ in range(relays))))
    finally:
        await producer.stop()


def bootstrap_of(runtime: ServiceRuntime) -> str:
    return runtime.settings.kafka_bootstrap_servers


async def test_a_row_kafka_refuses_for_good_is_set_aside_and_the_rest_still_leave_in_order(
    platform_settings: PlatformSettings,
) -> None:
    source = await upstream(platform_settings)
    run = run_id()
    key = f"case-{run}"
    async with TopicReader(
        platform_settings.kafka_bootstrap_servers, BenchCaseClosedV1.TOPIC
    ) as out:
        async with source.units_of_work() as uow:
            uow.emit(case_closed(key, note="seq-1"))
            uow.emit(case_closed(key, note="x" * 2_000_000))  # over the producer's 1 MB limit
            uow.emit(case_closed(key, note="seq-3"))
            await uow.commit()
        await relay_everything(platform_settings, source)
        events = await out.events(lambda e: e.data.case_ref == key, count=2)
    assert [e.data.offence_category for e in events] == ["seq-1", "seq-3"]
    assert await unsent(source) == 0
    async with source.engine.connect() as conn:
        failure = await conn.scalar(
            sa.text(
                f"SELECT failure FROM {source.tables.schema}.outbox "
                "WHERE failed_at IS NOT NULL AND key = :key"
            ),
            {"key": key},
        )
    assert failure is not None and "MessageSizeTooLarge" in failure
    await source.engine.dispose()
