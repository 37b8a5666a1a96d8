"""The baseline: the fastest honest loop by hand — aiokafka getmany, one asyncpg transaction
per batch inserting with ON CONFLICT DO NOTHING, commit offsets after it."""

import time
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer

from vfp_bench.contracts import BenchCaseClosedV1
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.engine import libpq_dsn
from vfp_shared.testing import Offsets, position_group


async def measure_raw_baseline(
    settings: PlatformSettings, start: Offsets, count: int, *, batch: int
) -> float:
    group = f"bench-raw-{uuid4().hex[:8]}"
    await position_group(settings, group, start)
    db = await asyncpg.connect(libpq_dsn(settings.database_url))
    await db.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw_events (event_id text PRIMARY KEY, case_ref text)"
    )
    consumer = AIOKafkaConsumer(
        BenchCaseClosedV1.TOPIC,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        max_poll_records=batch,
    )
    await consumer.start()
    seen, started = 0, 0.0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=200, max_records=batch)
            rows = [
                (dict(r.headers)["ce_id"].decode(), (r.key or b"").decode())
                for records in batches.values()
                for r in records
            ]
            if not rows:
                continue
            started = started or time.perf_counter()
            async with db.transaction():
                await db.executemany(
                    "INSERT INTO bench_raw_events VALUES ($1, $2) ON CONFLICT DO NOTHING", rows
                )
            await consumer.commit()
            seen += len(rows)
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await db.execute("DROP TABLE bench_raw_events")
        await db.close()
