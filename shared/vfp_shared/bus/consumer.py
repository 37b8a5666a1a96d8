"""The batch consumer: a FastStream batch subscriber that applies each fetched batch in ONE
transaction (inbox + effects + outbox) and commits offsets only after that transaction.

Bad input never stops it: a record that fails validation is dead-lettered at once; when a
batch fails, it is retried with backoff, then applied event by event so the one that keeps
failing is isolated and dead-lettered while every other event still takes effect, in order.
Losing the database is not the event's fault: that is retried until the database is back.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias
from uuid import UUID

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError

from vfp_shared.bus.dead_letters import DeadLetters
from vfp_shared.envelope import Envelope, MalformedEnvelope, decode
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory, participant_lock
from vfp_shared.telemetry import (
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    EVENTS_HANDLED,
    span_from,
)

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
EventHandler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]
# The lock keys (see UnitOfWork.lock) an event's handler will take: the consumer takes those of
# a whole batch in one round trip before the handlers run, so theirs cost nothing.
LockKeys = Callable[[Envelope[Any]], Iterable[str]]


def its_participant(event: Envelope[Any]) -> list[str]:
    """`LockKeys` of an event about one victim (its `participant_ref`)."""
    return [participant_lock(event.data.participant_ref)]


@dataclass(frozen=True)
class _Decoded:
    record: Record
    envelope: Envelope[Any]


# Serialization failure, deadlock, lock not available: concurrency, not the event's fault.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_transient(error: BaseException) -> bool:
    """Errors of the infrastructure, not of the event: retry without limit."""
    if isinstance(error, InterfaceError | ConnectionError | OSError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return bool(error.connection_invalidated) or sqlstate in TRANSIENT_SQLSTATES


async def _records_as_they_are(message: Any) -> None:
    return None


class BatchConsumer:
    def __init__(
        self,
        *,
        service: str,
        handlers: Mapping[str, EventHandler],
        units_of_work: UnitOfWorkFactory,
        settings: PlatformSettings,
        group: str | None = None,
        lock_keys: Mapping[str, LockKeys] | None = None,
    ):
        self.service = service
        self.group = group or service
        self.handlers = dict(handlers)
        self.lock_keys = dict(lock_keys or {})
        self._uows = units_of_work
        self._settings = settings
        self._dead_letters: DeadLetters | None = None

    def subscribe(self, broker: KafkaBroker) -> None:
        """Wire this consumer into the service's broker (the one wiring point calls this)."""
        self._dead_letters = DeadLetters(broker, group=self.group, service=self.service)
        subscriber = broker.subscriber(
            *self.handlers,
            group_id=self.group,
            batch=True,
            max_records=self._settings.consumer_max_records,
            batch_timeout_ms=self._settings.consumer_batch_timeout_ms,
            auto_offset_reset="earliest",
            # Commit only after our transaction: FastStream's default would commit first.
            ack_policy=AckPolicy.MANUAL,
            # We decode and validate each record ourselves (to dead-letter it precisely), so
            # FastStream's own JSON decoding of the batch would be wasted work.
            decoder=_records_as_they_are,
            title=f"{self.service}: events in",
            description=f"Consumer group `{self.group}`; one transaction per batch.",
        )
        subscriber(self._on_batch)

    async def _on_batch(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        records: Sequence[Record] = raw if isinstance(raw, tuple) else (raw,)
        try:
            await self.handle(records)
        except Exception:
            # E.g. Kafka unreachable for a dead letter: rewind so the batch comes again.
            log.exception("batch not applied; rewinding to redeliver it")
            await message.nack()
            return
        await message.ack()

    async def handle(self, records: Sequence[Record]) -> None:
        """Apply a batch; returns when every record took effect or was dead-lettered."""
        decoded: list[_Decoded] = []
        for record in records:
            try:
                decoded.append(_Decoded(record, decode(record.topic, record.value, record.headers)))
            except (ValidationError, MalformedEnvelope, ValueError) as error:
                await self._dead_letter(record, error)
        if not decoded:
            return
        if await self._attempt(decoded) is None:
            return
        # Isolate the event that keeps failing; the rest still apply, in their order.
        for item in decoded:
            failure = await self._attempt([item])
            if failure is not None:
                await self._dead_letter(item.record, failure)

    async def _attempt(self, batch: list[_Decoded]) -> BaseException | None:
        """Apply with bounded retries (unbounded for the infrastructure's errors), backing off
        exponentially; returns the last error, or None on success."""
        attempt = tries = 0
        while True:
            try:
                await self._apply(batch)
                return None
            except asyncio.CancelledError:
                raise
            except Exception as error:
                EVENTS_FAILED.labels(self.service).inc()
                tries += 1
                if not is_transient(error):
                    attempt += 1
                    if attempt >= self._settings.consumer_max_attempts:
                        return error
                delay = self._settings.consumer_retry_backoff_s * 2 ** min(tries, 6)
                log.warning(
                    "batch failed; retrying",
                    extra={
                        "size": len(batch),
                        "attempt": attempt,
                        "error_class": type(error).__name__,
                    },
                )
                await asyncio.sleep(delay)

    async def _apply(self, batch: list[_Decoded]) -> None:
        applied: Counter[str] = Counter()  # per topic: counted once a batch, not per event
        async with self._uows() as uow:
            unseen = await uow.claim([(d.envelope.id, d.record.topic) for d in batch])
            await uow.lock_many(self._keys_to_lock(batch, unseen))
            duplicates = 0
            for item in batch:
                if item.envelope.id not in unseen:  # handled before, or twice in this batch
                    duplicates += 1
                    continue
                unseen.discard(item.envelope.id)
                with span_from(
                    f"{item.record.topic} process",
                    item.envelope.traceparent,
                    SpanKind.CONSUMER,
                    {"messaging.message.id": str(item.envelope.id), "vfp.service": self.service},
                ):
                    await self.handlers[item.record.topic](uow, item.envelope)
                applied[item.record.topic] += 1
            await uow.commit()
        for topic, count in applied.items():
            EVENTS_HANDLED.labels(self.service, topic).inc(count)
        if duplicates:
            EVENTS_DUPLICATE.labels(self.service).inc(duplicates)

    def _keys_to_lock(self, batch: list[_Decoded], unseen: set[UUID]) -> list[str]:
        keys: list[str] = []
        for item in batch:
            keys_of = self.lock_keys.get(item.record.topic)
            if keys_of is not None and item.envelope.id in unseen:
                keys.extend(keys_of(item.envelope))
        return keys

    async def _dead_letter(self, record: Record, error: BaseException) -> None:
        assert self._dead_letters is not None, "subscribe() wires the dead letters"
        await self._dead_letters.send(record, error)
