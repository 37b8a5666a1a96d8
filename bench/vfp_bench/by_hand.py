"""The pipeline's work written by hand on aiokafka + asyncpg: no framework, no tracing, no
ORM, no retries, no dead letters, no per-victim locks. Per batch, in one transaction: claim the
inbox, upsert the domain rows of the events it had not seen, write their outbox rows; then
commit the offsets. Beside it a relay task locks, reads, publishes and marks the outbox rows,
as ours does. Same tables, same contracts, same validation.

Its figure is the floor of that work on this machine, against which the raw loop's is set:
it tells how much of the gap is the work itself and how much is ours."""

import asyncio
import json
import time
import zlib
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from vfp_bench.contracts import BenchCandidateIdentifiedV1, BenchCaseClosedV1
from vfp_bench.probe import build_probe, create_schema
from vfp_shared.bus.record_batches import OutgoingRecord, send_in_batches
from vfp_shared.bus.relay import kafka_producer
from vfp_shared.contracts.vocabulary import CandidateSource, ContactRoute
from vfp_shared.envelope import Envelope
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.bus_tables import OUTBOX_SLOTS
from vfp_shared.storage.engine import libpq_dsn
from vfp_shared.testing import Offsets, position_group

TIMEOUT_S = 600  # as the pipeline's: a figure, never a hang


async def measure_by_hand(
    settings: PlatformSettings, start: Offsets, count: int, *, batch: int
) -> float:
    name = f"bench_hand_{uuid4().hex[:8]}"
    probe = build_probe(settings, schema=name, group=name)  # only for its tables
    await create_schema(probe)
    await probe.engine.dispose()
    await position_group(settings, name, start)
    dsn = libpq_dsn(settings.database_url)
    consumer_db, relay_db = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    consumer = AIOKafkaConsumer(
        BenchCaseClosedV1.TOPIC,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=name,
        enable_auto_commit=False,
        max_poll_records=batch,
    )
    producer = kafka_producer(settings.kafka_bootstrap_servers)
    await consumer.start()
    await producer.start()
    relay = asyncio.create_task(_relay(relay_db, producer, name, count))
    try:
        started = await _consume(consumer, consumer_db, name, count, batch)
        await relay
        return count / (time.perf_counter() - started)
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)  # what ended the run is raised
        await consumer.stop()
        await producer.stop()
        await consumer_db.execute(f'DROP SCHEMA "{name}" CASCADE')
        await consumer_db.close()
        await relay_db.close()


async def _consume(
    consumer: AIOKafkaConsumer, db: asyncpg.Connection, schema: str, count: int, batch: int
) -> float:
    claim = (
        f'INSERT INTO "{schema}".inbox (event_id, topic) SELECT * FROM unnest($1::uuid[], '
        "$2::text[]) ON CONFLICT DO NOTHING RETURNING event_id"
    )
    upsert = (
        f'INSERT INTO "{schema}".closed_cases (case_ref, victim_ref) SELECT * FROM '
        "unnest($1::text[], $2::text[]) ON CONFLICT (case_ref) DO UPDATE SET times_applied = "
        f'"{schema}".closed_cases.times_applied + 1'
    )
    outbox = (
        f'INSERT INTO "{schema}".outbox (event_id, topic, key, slot, headers, payload) '
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], "
        "$6::bytea[])"
    )
    seen, started = 0, 0.0
    deadline = time.monotonic() + TIMEOUT_S
    while seen < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {seen} of {count} events consumed")
        fetched = await consumer.getmany(timeout_ms=50, max_records=batch)
        records = [record for records in fetched.values() for record in records]
        if not records:
            continue
        started = started or time.perf_counter()
        events = [
            (
                UUID(dict(record.headers)["ce_id"].decode()),
                record.topic,
                BenchCaseClosedV1.model_validate_json(record.value or b""),
            )
            for record in records
        ]
        async with db.transaction():
            claimed = await db.fetch(claim, [e[0] for e in events], [e[1] for e in events])
            new = {row["event_id"] for row in claimed}
            cases = [case for event_id, _, case in events if event_id in new]
            await db.execute(upsert, [c.case_ref for c in cases], [c.victim_ref for c in cases])
            await db.execute(outbox, *_outbox_columns(cases))
        await consumer.commit()
        seen += len(records)
    return started


def _outbox_columns(cases: list[BenchCaseClosedV1]) -> tuple[list[object], ...]:
    columns: tuple[list[object], ...] = ([], [], [], [], [], [])
    for case in cases:
        emitted = Envelope(_candidate(case), source="/bench-by-hand")
        key = emitted.subject
        row = (
            emitted.id,
            emitted.topic,
            key,
            zlib.crc32(key.encode()) % OUTBOX_SLOTS,
            json.dumps(emitted.attributes()),
            emitted.kafka_value(),
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def _candidate(case: BenchCaseClosedV1) -> BenchCandidateIdentifiedV1:
    return BenchCandidateIdentifiedV1(
        participant_ref=case.victim_ref,
        themes=[],
        source=CandidateSource.FORCE_CASE,
        contact_route=ContactRoute.OFFICER_IN_CASE,
        supporter_ref=case.oic_ref,
        policy_version="probe",
        identified_at=datetime.now(UTC),
    )


async def _relay(
    db: asyncpg.Connection, producer: AIOKafkaProducer, schema: str, count: int
) -> None:
    select = (
        f'SELECT id, topic, key, headers, payload FROM "{schema}".outbox WHERE sent_at IS NULL '
        "ORDER BY id LIMIT 2000 FOR UPDATE SKIP LOCKED"
    )
    mark = f'UPDATE "{schema}".outbox SET sent_at = now() WHERE id = ANY($1::bigint[])'
    sent = 0
    deadline = time.monotonic() + TIMEOUT_S
    while sent < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {sent} of {count} events published")
        async with db.transaction():
            rows = await db.fetch(select)
            if rows:
                records = [
                    OutgoingRecord(
                        row["topic"],
                        row["key"].encode(),
                        row["payload"],
                        [(k, v.encode()) for k, v in json.loads(row["headers"]).items()],
                    )
                    for row in rows
                ]
                if any(await send_in_batches(producer, records)):
                    raise RuntimeError("Kafka refused a record: the figure would be wrong")
                await db.execute(mark, [row["id"] for row in rows])
                sent += len(rows)
        if not rows:
            await asyncio.sleep(0.005)
