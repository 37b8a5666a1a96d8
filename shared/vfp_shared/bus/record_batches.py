"""Sending many records to Kafka a record batch at a time.

`AIOKafkaProducer.send` costs a future, a size estimate and a partitioner call per record;
the relay sends thousands a second, so it fills one record batch per partition itself and
hands Kafka whole batches. Records keep their order within a partition (one key, one
partition), as with `send`.
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
    error that kept it out. After an error on sending (broker away), the records not yet
    handed over get that error too: they wait for the next attempt, still in order."""
    outcomes: list[BaseException | None] = [None] * len(records)
    partitions: dict[str, list[int]] = {}
    filling: dict[tuple[str, int], tuple[BatchBuilder, list[int]]] = {}
    in_flight: list[tuple[asyncio.Future[object], list[int]]] = []

    async def hand_over(topic: str, partition: int) -> None:
        builder, members = filling.pop((topic, partition))
        in_flight.append((await producer.send_batch(builder, topic, partition=partition), members))

    try:
        for index, record in enumerate(records):
            size = DefaultRecordBatchBuilder.estimate_size_in_bytes(
                record.key, record.value, record.headers
            )
            if size > MAX_REQUEST_BYTES:
                outcomes[index] = MessageSizeTooLargeError(f"{size} bytes")
                continue
            if record.topic not in partitions:
                partitions[record.topic] = sorted(await producer.partitions_for(record.topic))
            every = partitions[record.topic]
            target = (record.topic, _partition_of(record.key, every, every))
            if target in filling and not _append(filling[target][0], record):
                await hand_over(*target)  # full
            if target not in filling:
                filling[target] = (producer.create_batch(), [])
                # A batch always takes its first record, however large.
                _append(filling[target][0], record)
            filling[target][1].append(index)
        for target in list(filling):
            await hand_over(*target)
    except Exception as error:
        # Everything not handed over (and not refused already) waits for the next attempt.
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


def _append(builder: BatchBuilder, record: OutgoingRecord) -> bool:
    added = builder.append(
        timestamp=None, key=record.key, value=record.value, headers=record.headers
    )
    return added is not None
