"""Our pipeline, end to end: the probe service (FastStream batch consumer, inbox, domain
write, outbox, relay) until every event it emitted has been published to Kafka."""

import asyncio
import time
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_bench.probe import build_probe, create_schema
from vfp_shared.envelope import Envelope
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.testing import Offsets, position_group


async def measure_pipeline(
    settings: PlatformSettings, start: Offsets, count: int, *, batch: int
) -> float:
    name = f"bench_{uuid4().hex[:8]}"
    tuned = settings.model_copy(update={"consumer_max_records": batch, "outbox_batch_size": 2000})
    probe = build_probe(tuned, schema=name, group=name)
    await create_schema(probe)
    await position_group(settings, name, start)
    first_event_at: list[float] = []
    [(topic, handle)] = probe.consumer.handlers.items()

    async def timed(uow: UnitOfWork, event: Envelope[Any]) -> None:
        if not first_event_at:
            first_event_at.append(time.perf_counter())
        await handle(uow, event)

    probe.consumer.handlers[topic] = timed
    try:
        async with probe.running(migrate=False):
            # Published = acknowledged by Kafka and marked sent by the relay; polling the
            # database keeps the measuring out of the measured process's event loop.
            published = await _wait_until_published(probe.engine, name, count)
            finished = time.perf_counter()
        return published / (finished - first_event_at[0])
    finally:
        async with probe.engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        await probe.engine.dispose()


async def _wait_until_published(engine: AsyncEngine, schema: str, count: int) -> int:
    deadline = time.monotonic() + 600
    sent = 0
    while sent < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        async with engine.connect() as conn:
            sent = int(
                await conn.scalar(
                    sa.text(f'SELECT count(*) FROM "{schema}".outbox WHERE sent_at IS NOT NULL')
                )
                or 0
            )
    return sent
