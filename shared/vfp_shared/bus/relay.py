"""The outbox relay: publishes committed outbox rows to Kafka in batches and marks them sent.

Several relays may run: each locks whole slots with SKIP LOCKED, so they share the work
while one key's events (same slot) still leave in commit order. A crash after publishing
and before marking re-sends those rows; consumers' inboxes absorb the duplicates.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vfp_shared.envelope import TRACEPARENT
from vfp_shared.storage.bus_tables import BusTables
from vfp_shared.storage.engine import libpq_dsn
from vfp_shared.telemetry import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, PROPAGATOR, span_from

log = logging.getLogger(__name__)


def kafka_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    # Idempotent producer: a retried send never duplicates or reorders within a partition.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        tables: BusTables,
        producer: AIOKafkaProducer,
        database_url: str,
        batch_size: int = 1000,
        poll_interval_s: float = 1.0,
    ):
        self.service = service
        self._engine = engine
        self._tables = tables
        self._producer = producer
        self._dsn = libpq_dsn(database_url)
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Publish until cancelled: on every NOTIFY from a committing unit of work, or poll."""
        listener = await asyncpg.connect(self._dsn)
        await listener.add_listener(self._tables.notify_channel, self._on_notify)
        try:
            while True:
                try:
                    published = await self.publish_pending()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    await asyncio.sleep(self._poll_interval_s)
                    continue
                if published == self._batch_size:
                    continue  # more are waiting
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
        finally:
            with contextlib.suppress(Exception):
                await listener.close()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many."""
        t = self._tables
        async with self._engine.begin() as conn:
            slots = (
                await conn.execute(
                    sa.select(t.outbox_slots.c.slot).with_for_update(skip_locked=True)
                )
            ).scalars().all()
            if not slots:
                return 0
            rows = (
                await conn.execute(
                    sa.select(t.outbox.c.id, t.outbox.c.topic, t.outbox.c.key, t.outbox.c.headers,
                              t.outbox.c.payload)
                    .where(t.outbox.c.sent_at.is_(None), t.outbox.c.slot.in_(slots))
                    .order_by(t.outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if rows:
                await self._publish(rows)
                await conn.execute(
                    sa.update(t.outbox)
                    .where(t.outbox.c.id.in_([row.id for row in rows]))
                    .values(sent_at=sa.func.now())
                )
                OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
            await self._record_backlog(conn)
        return len(rows)

    async def _publish(self, rows: Sequence[Any]) -> None:
        pending = []
        for row in rows:
            headers = dict(row.headers)
            # A producer span continues the trace the event was written under.
            with span_from(f"{row.topic} publish", headers.get(TRACEPARENT), SpanKind.PRODUCER):
                carrier: dict[str, str] = {}
                PROPAGATOR.inject(carrier)
                headers.update(carrier)
                pending.append(
                    await self._producer.send(
                        row.topic,
                        value=row.payload,
                        key=row.key.encode(),
                        headers=[(name, value.encode()) for name, value in headers.items()],
                    )
                )
        await asyncio.gather(*pending)

    async def _record_backlog(self, conn: AsyncConnection) -> None:
        backlog = await conn.scalar(
            sa.select(sa.func.count()).select_from(self._tables.outbox)
            .where(self._tables.outbox.c.sent_at.is_(None))
        )
        OUTBOX_BACKLOG.labels(self.service).set(backlog or 0)

    async def purge_sent(self, older_than_hours: int = 24) -> None:
        """Sent rows are only kept a day, for operators to look back."""
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(self._tables.outbox).where(
                    self._tables.outbox.c.sent_at < sa.func.now() - sa.text(
                        f"interval '{int(older_than_hours)} hours'"
                    )
                )
            )
