"""Helpers for tests and the simulator that talk to the real Kafka: publish events as a force
system would, and collect what the platform publishes."""

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope, decode


def envelope(data: Contract, *, source: str = "/force/records", traceparent: str | None = None
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
                    env.topic, env.kafka_value(), key=env.subject.encode(),
                    headers=env.kafka_headers(),
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def publish_raw(bootstrap_servers: str, topic: str, value: bytes, *, key: bytes = b"k",
                      headers: list[tuple[str, bytes]] | None = None) -> None:
    """Publish bytes as they are: for malformed input."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


class TopicReader:
    """Reads topics from their start (no consumer group) — start it BEFORE the action under
    test, then `collect` what matches."""

    def __init__(self, bootstrap_servers: str, *topics: str):
        self._consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest",
            group_id=None, enable_auto_commit=False,
        )

    async def __aenter__(self) -> "TopicReader":
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def records(self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], *,
                      count: int, timeout_s: float = 20) -> list[ConsumerRecord[bytes, bytes]]:
        """Wait until `count` matching records arrived (or the timeout), and return them all."""
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < count:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found.extend(r for r in records if match(r))
        return found

    async def events(self, match: Callable[[Envelope[Any]], bool], *, count: int,
                     timeout_s: float = 20) -> list[Envelope[Any]]:
        """Like `records`, decoded; records that are not valid events are ignored here."""

        def decoded_match(record: ConsumerRecord[bytes, bytes]) -> bool:
            try:
                return match(decode(record.topic, record.value, record.headers))
            except Exception:
                return False

        found = await self.records(decoded_match, count=count, timeout_s=timeout_s)
        return [decode(r.topic, r.value, r.headers) for r in found]
