"""The outbox relay: publishes committed outbox rows to Kafka in batches and marks them sent.

Several relays may run: each locks whole slots with SKIP LOCKED, so they share the work
while one key's events (same slot) still leave in commit order. A crash after publishing
and before marking re-sends those rows; consumers' inboxes absorb the duplicates.

Each event keeps the traceparent of the span it was written under, so the consumer's span
downstream is a child of the one that caused the event: one trace across services.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import InvalidMessageError, MessageSizeTooLargeError
from opentelemetry.trace import SpanKind

from vfp_shared.bus.record_batches import MAX_REQUEST_BYTES, OutgoingRecord, send_in_batches
from vfp_shared.storage.bus_tables import OUTBOX_SLOTS, BusTables
from vfp_shared.storage.engine import libpq_dsn
from vfp_shared.telemetry import OUTBOX_BACKLOG, OUTBOX_FAILED, OUTBOX_PUBLISHED, tracer

log = logging.getLogger(__name__)

BACKLOG_EVERY_S = 1.0  # counting the backlog on every batch would cost a round trip each
PURGE_EVERY_S = 3600.0
KEEP_SENT_HOURS = 24  # sent rows stay a day, for operators to look back
# Half the slots a round: a second relay always finds work, one alone needs two rounds at most.
SLOTS_PER_ROUND = OUTBOX_SLOTS // 2
# An event id older than this cannot come back: Kafka keeps records 7 days by default
# (log.retention.hours), and a consumer group's offsets as long. Twice that, to be safe.
KEEP_INBOX_DAYS = 14


# Faults of the record itself: sending it again can never succeed. Anything else (broker away,
# timeouts, authorisation, a closed producer) is retried: a row is never set aside for those.
RECORD_FAULTS = (MessageSizeTooLargeError, InvalidMessageError, ValueError, TypeError)


def _retriable(error: BaseException) -> bool:
    return not isinstance(error, RECORD_FAULTS)


def kafka_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    # Idempotent producer: a retried send never duplicates or reorders within a partition.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=MAX_REQUEST_BYTES,
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        tables: BusTables,
        producer: AIOKafkaProducer,
        database_url: str,
        batch_size: int = 1000,
        poll_interval_s: float = 1.0,
    ):
        self.service = service
        self._producer = producer
        self._dsn = libpq_dsn(database_url)
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._channel = tables.notify_channel
        outbox, slots = f"{tables.schema}.outbox", f"{tables.schema}.outbox_slots"
        # Plain SQL on asyncpg: this is the hottest path of every service.
        # A few slots per round, chosen among those with rows waiting and not held by another
        # relay: several relays then work side by side, each on its own slots. The rows are
        # read by a second statement, whose snapshot sees what the slots' last holder committed.
        self._lock_slots = (
            f"SELECT s.slot FROM {slots} s WHERE EXISTS (SELECT 1 FROM {outbox} o "
            "WHERE o.slot = s.slot AND o.sent_at IS NULL AND o.failed_at IS NULL) "
            f"ORDER BY random() LIMIT {SLOTS_PER_ROUND} FOR UPDATE OF s SKIP LOCKED"
        )
        self._select = (
            f"SELECT id, topic, key, headers, payload FROM {outbox} "
            "WHERE slot = ANY($2::smallint[]) AND sent_at IS NULL AND failed_at IS NULL "
            "ORDER BY id LIMIT $1"
        )
        self._mark = f"UPDATE {outbox} SET sent_at = now() WHERE id = ANY($1::bigint[])"
        self._mark_failed = f"UPDATE {outbox} SET failed_at = now(), failure = $2 WHERE id = $1"
        self._backlog = f"SELECT count(*) FROM {outbox} WHERE sent_at IS NULL AND failed_at IS NULL"
        self._purge = (
            f"DELETE FROM {outbox} WHERE sent_at < now() - make_interval(hours => $1::int)"
        )
        self._purge_inbox = (
            f"DELETE FROM {tables.schema}.inbox "
            "WHERE handled_at < now() - make_interval(days => $1::int)"
        )
        self._pool: asyncpg.Pool | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._backlog_read_at = 0.0
        self._purged_at = 0.0

    async def __aenter__(self) -> "OutboxRelay":
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def run(self) -> None:
        """Publish on every NOTIFY from a committing unit of work (or poll) until `stop`, then
        drain what is left: a round is never cut between the send and the mark (that would
        only re-send, but a clean stop need not)."""
        listener = await asyncpg.connect(self._dsn)
        await listener.add_listener(self._channel, self._on_notify)
        try:
            while not self._stopping:
                try:
                    published = await self.publish_pending()
                    await self._housekeeping()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    await asyncio.sleep(self._poll_interval_s)
                    continue
                if published:
                    continue  # more may be waiting, in these slots or others
                if self._stopping:
                    break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
            while await self.publish_pending():
                pass
        finally:
            with contextlib.suppress(Exception):
                await listener.close()

    def stop(self) -> None:
        """Finish the round in hand, send what is left, and return from `run`."""
        self._stopping = True
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows of the slots no other relay holds; returns the count."""
        assert self._pool is not None, "use the relay as an async context manager"
        async with self._pool.acquire() as conn, conn.transaction():
            slots = [record["slot"] for record in await conn.fetch(self._lock_slots)]
            if not slots:
                return 0
            rows = await conn.fetch(self._select, self._batch_size, slots)
            if rows:
                with tracer().start_as_current_span(
                    "outbox publish",
                    kind=SpanKind.PRODUCER,
                    attributes={
                        "vfp.service": self.service,
                        "messaging.batch.message_count": len(rows),
                    },
                ):
                    sent, failed = await self._publish(rows)
                await conn.execute(self._mark, sent)
                for row_id, reason in failed.items():
                    await conn.execute(self._mark_failed, row_id, reason)
                OUTBOX_PUBLISHED.labels(self.service).inc(len(sent))
                return len(sent) + len(failed)
        return 0

    async def _publish(self, rows: Sequence[asyncpg.Record]) -> tuple[list[int], dict[int, str]]:
        """Send the rows in order and wait for Kafka's acks; returns the ids it acknowledged and
        the ids it refused for good (with why: e.g. too large), which are set aside, never
        retried. A passing failure (e.g. a topic's metadata unavailable) stops there: the rest
        wait for the next round, still in order. (While the broker is away, the producer holds
        and retries what it was given, and this round waits for it.)"""
        records = [
            OutgoingRecord(
                row["topic"],
                row["key"].encode(),
                row["payload"],
                [(name, value.encode()) for name, value in json.loads(row["headers"]).items()],
            )
            for row in rows
        ]
        sent: list[int] = []
        failed: dict[int, str] = {}
        for row, outcome in zip(rows, await send_in_batches(self._producer, records), strict=True):
            if outcome is None:
                sent.append(row["id"])
            elif _retriable(outcome):
                log.warning(
                    "outbox rows not published; retrying next round",
                    extra={"outbox_id": row["id"], "error_class": type(outcome).__name__},
                )
                break  # sent again next round; a copy already delivered is absorbed downstream
            else:
                failed[row["id"]] = self._set_aside(row["id"], row["topic"], outcome)
        return sent, failed

    def _set_aside(self, row_id: int, topic: str, error: BaseException) -> str:
        OUTBOX_FAILED.labels(self.service).inc()
        log.error(
            "outbox row cannot be published; set aside",
            extra={"outbox_id": row_id, "topic": topic, "error_class": type(error).__name__},
        )
        return f"{type(error).__name__}: {error}"[:500]

    async def _housekeeping(self) -> None:
        assert self._pool is not None
        now = time.monotonic()
        if now - self._backlog_read_at > BACKLOG_EVERY_S:
            OUTBOX_BACKLOG.labels(self.service).set(await self._pool.fetchval(self._backlog))
            self._backlog_read_at = now
        if now - self._purged_at > PURGE_EVERY_S:
            await self._pool.execute(self._purge, KEEP_SENT_HOURS)
            await self._pool.execute(self._purge_inbox, KEEP_INBOX_DAYS)
            self._purged_at = now
