"""Sending many records to Kafka a record batch at a time.

`AIOKafkaProducer.send` costs a future and a pass through the producer's accumulator per
record; the relay sends thousands a second, so it fills record batches itself (one or more per
partition, up to the producer's batch size each) and hands Kafka whole batches. Records keep
their order within a partition (one key, one partition), as with `send`.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder

# The producer's default: a larger record would be refused by the broker anyway.
MAX_REQUEST_BYTES = 1_048_576
# Faults of a record itself, found before it is added to a batch: only that record fails.
_REFUSED_BEFORE_SENDING = (MessageSizeTooLargeError, TypeError, ValueError)
# Java's default partitioner (murmur2 of the key), so every client puts a key where we do.
_partition_of = DefaultPartitioner()


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


async def send_in_batches(
    producer: AIOKafkaProducer, records: Sequence[OutgoingRecord]
) -> list[BaseException | None]:
    """Send the records; returns, per record in order, None once Kafka acknowledged it or the
    error that kept it out. A record at fault (too large, wrong types) fails alone. When
    handing a batch over fails (the producer closed, a topic's metadata unavailable), the
    records not yet handed over get that error: they wait for the next attempt, in order.
    While the broker is away, the idempotent producer retries what it holds until it is back:
    this waits for those acks."""
    outcomes: list[BaseException | None] = [None] * len(records)
    partitions: dict[str, list[int]] = {}
    filling: dict[tuple[str, int], tuple[BatchBuilder, list[int]]] = {}
    in_flight: list[tuple[asyncio.Future[object], list[int]]] = []

    async def hand_over(topic: str, partition: int) -> None:
        builder, members = filling.pop((topic, partition))
        in_flight.append((await producer.send_batch(builder, topic, partition=partition), members))

    try:
        for index, record in enumerate(records):
            if record.topic not in partitions:
                partitions[record.topic] = sorted(await producer.partitions_for(record.topic))
            every = partitions[record.topic]
            try:
                target = (record.topic, _partition_of(record.key, every, every))
                _check_size(record)
                added = target in filling and _append(filling[target][0], record)
                if not added:
                    fresh = producer.create_batch()
                    _append(fresh, record)  # a batch always takes its first record
            except _REFUSED_BEFORE_SENDING as fault:
                outcomes[index] = fault  # before anything was added: the batches are intact
                continue
            if not added:
                if target in filling:
                    await hand_over(*target)  # full
                filling[target] = (fresh, [])
            filling[target][1].append(index)
        for target in list(filling):
            await hand_over(*target)
    except Exception as error:
        handed = {index for _, members in in_flight for index in members}
        for index in range(len(records)):
            if index not in handed and outcomes[index] is None:
                outcomes[index] = error
    acks = await asyncio.gather(*(ack for ack, _ in in_flight), return_exceptions=True)
    for ack, (_, members) in zip(acks, in_flight, strict=True):
        if isinstance(ack, BaseException):
            for index in members:
                outcomes[index] = ack
    return outcomes


def _check_size(record: OutgoingRecord) -> None:
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(
        record.key, record.value, record.headers
    )
    if size > MAX_REQUEST_BYTES:
        raise MessageSizeTooLargeError(f"{size} bytes")


def _append(builder: BatchBuilder, record: OutgoingRecord) -> bool:
    added = builder.append(
        timestamp=None, key=record.key, value=record.value, headers=record.headers
    )
    return added is not None
