"""Helpers for tests and the simulator that talk to the real Kafka: publish events as a force
system would, and collect what the platform publishes."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope, decode
from vfp_shared.settings import PlatformSettings

Offsets = dict[TopicPartition, int]


def envelope(
    data: Contract, *, source: str = "/force/records", traceparent: str | None = None
) -> Envelope[Contract]:
    return Envelope(data, source=source, traceparent=traceparent)


async def publish(bootstrap_servers: str, events: Iterable[Envelope[Any] | Contract]) -> None:
    """Publish envelopes (or bare contracts, wrapped in a fresh envelope) and wait for acks."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        pending = []
        for item in events:
            env = item if isinstance(item, Envelope) else envelope(item)
            pending.append(
                await producer.send(
                    env.topic,
                    env.kafka_value(),
                    key=env.subject.encode(),
                    headers=env.kafka_headers(),
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def publish_raw(
    bootstrap_servers: str,
    topic: str,
    value: bytes,
    *,
    key: bytes = b"k",
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Publish bytes as they are: for malformed input."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


class TopicReader:
    """Reads what is published to `topics` from the moment it is entered (no consumer group):
    enter it BEFORE the action under test, then `collect` what matches."""

    def __init__(self, bootstrap_servers: str, *topics: str):
        self._servers = bootstrap_servers
        self._topics = topics
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False
        )

    async def __aenter__(self) -> "TopicReader":
        await self._consumer.start()
        partitions = []
        for topic in self._topics:
            partitions.extend(await partitions_of(self._servers, topic))
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:  # resolve the positions now, before the action
            await self._consumer.position(partition)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def records(
        self,
        match: Callable[[ConsumerRecord[bytes, bytes]], bool],
        *,
        count: int,
        timeout_s: float = 20,
        then_quiet_s: float = 0,
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Wait until `count` matching records arrived (or the timeout), then keep reading for
        `then_quiet_s` more (so a test of "exactly once" sees a copy that comes late), and
        return them all."""
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < count:
            await self._read_into(found, match)
        quiet_until = time.monotonic() + then_quiet_s
        while time.monotonic() < quiet_until:
            await self._read_into(found, match)
        return found

    async def _read_into(
        self,
        found: list[ConsumerRecord[bytes, bytes]],
        match: Callable[[ConsumerRecord[bytes, bytes]], bool],
    ) -> None:
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            found.extend(r for r in records if match(r))

    async def events(
        self,
        match: Callable[[Envelope[Any]], bool],
        *,
        count: int,
        timeout_s: float = 20,
        then_quiet_s: float = 0,
    ) -> list[Envelope[Any]]:
        """Like `records`, decoded; records that are not valid events are ignored here."""

        def decoded_match(record: ConsumerRecord[bytes, bytes]) -> bool:
            try:
                return match(decode(record.topic, record.value, record.headers))
            except Exception:
                return False

        found = await self.records(
            decoded_match, count=count, timeout_s=timeout_s, then_quiet_s=then_quiet_s
        )
        return [decode(r.topic, r.value, r.headers) for r in found]


async def partitions_of(bootstrap_servers: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions (it is created, with the broker's defaults, if missing)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        for _ in range(50):
            [description] = await admin.describe_topics([topic])
            if description["partitions"]:
                return [TopicPartition(topic, p["partition"]) for p in description["partitions"]]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
            await asyncio.sleep(0.1)
        raise TimeoutError(f"topic {topic} has no partitions")
    finally:
        await admin.close()


async def end_offsets(settings: PlatformSettings, topic: str) -> Offsets:
    partitions = await partitions_of(settings.kafka_bootstrap_servers, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def position_group(settings: PlatformSettings, group: str, offsets: Offsets) -> None:
    """Commit `offsets` for a new consumer group: it starts there, not at the start."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(dict(offsets))
    finally:
        await consumer.stop()


async def start_group_at_end(settings: PlatformSettings, group: str, *topics: str) -> None:
    """A new group that sees only what is published from now on (tests on a long-lived stack)."""
    offsets: Offsets = {}
    for topic in topics:
        offsets.update(await end_offsets(settings, topic))
    await position_group(settings, group, offsets)
