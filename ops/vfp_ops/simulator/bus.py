"""Kafka helpers for the simulator: a watcher that keeps everything published on some topics
from the moment it starts (so each stage can wait for what it caused), paced publishing,
consumer-group positions and dead-letter offsets."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope, decode
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import partitions_of, start_group_at_end


@dataclass(frozen=True)
class Seen:
    topic: str
    envelope: Envelope[Any]

    @property
    def trace_id(self) -> str | None:
        tp = self.envelope.traceparent
        return tp.split("-")[1] if tp and tp.count("-") == 3 else None


class BusWatch:
    """Collects the decoded events of `topics` published after `start()`."""

    def __init__(self, bootstrap: str, topics: Sequence[str]):
        self._bootstrap = bootstrap
        self._topics = topics
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self.seen: list[Seen] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        partitions: list[TopicPartition] = []
        for topic in self._topics:
            partitions.extend(await partitions_of(self._bootstrap, topic))
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._collect(), name="simulator-bus-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _collect(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    try:
                        env = decode(record.topic, record.value, record.headers)
                    except Exception:  # not ours to judge here: dead letters are counted apart
                        continue
                    self.seen.append(Seen(record.topic, env))

    def matching(self, topic: str, match: Callable[[Any], bool] = lambda _: True) -> list[Seen]:
        return [s for s in self.seen if s.topic == topic and match(s.envelope.data)]

    async def wait(
        self,
        topic: str,
        match: Callable[[Any], bool] = lambda _: True,
        *,
        count: int = 1,
        timeout_s: float = 30,
    ) -> list[Seen]:
        """Until `count` matching events arrived; raises TimeoutError with what was found."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.matching(topic, match)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} {topic} events in {timeout_s:.0f}s")
            await asyncio.sleep(0.1)


async def publish_paced(
    bootstrap: str,
    events: Sequence[Envelope[Contract]],
    rate_per_s: float,
    advance: Callable[[int], None] = lambda _: None,
) -> None:
    """Publish in order at about `rate_per_s` (acks=all), calling `advance` as they go."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.monotonic()
        pending = []
        for index, env in enumerate(events):
            pending.append(
                await producer.send(
                    env.topic,
                    env.kafka_value(),
                    key=env.subject.encode(),
                    headers=env.kafka_headers(),
                )
            )
            advance(1)
            ahead = (index + 1) / rate_per_s - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)  # pacing the feed, not waiting for an outcome
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    partitions: list[TopicPartition] = []
    for topic in topics:
        partitions.extend(await partitions_of(bootstrap, topic))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def wait_consumed(
    bootstrap: str, group: str, targets: dict[TopicPartition, int], timeout_s: float = 60
) -> None:
    """Until `group` has committed at least `targets` (its transaction for them is done)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            behind = {
                tp: end
                for tp, end in targets.items()
                if end > 0 and (tp not in committed or committed[tp].offset < end)
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"group {group} still behind on {len(behind)} partitions")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def dead_letter_offsets(bootstrap: str) -> dict[str, int]:
    """Every `*.dlq` topic with the sum of its partitions' end offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.endswith(".dlq"))
    finally:
        await admin.close()
    if not topics:
        return {}
    offsets = await end_offsets(bootstrap, topics)
    totals = dict.fromkeys(topics, 0)
    for tp, end in offsets.items():
        totals[tp.topic] += end
    return totals


# What each service's consumer group reads (see the services' READMEs).
GROUP_TOPICS: dict[str, tuple[str, ...]] = {
    "participants": (
        "force.case-closed.v1",
        "force.case-reopened.v1",
        "force.complaint-opened.v1",
        "force.complaint-resolved.v1",
        "support.client-nominated.v1",
        "staff.victim-flagged.v1",
    ),
    "panels": ("participants.consent-given.v1", "participants.consent-withdrawn.v1"),
    "feedback": (
        "participants.consent-given.v1",
        "participants.consent-withdrawn.v1",
        "panels.panel-held.v1",
        "support.referral-made.v1",
    ),
    "notifications": (
        "participants.candidate-identified.v1",
        "participants.consent-given.v1",
        "participants.consent-withdrawn.v1",
        "panels.participant-invited.v1",
        "panels.panel-scheduled.v1",
        "panels.panel-held.v1",
        "feedback.case-study-shared.v1",
        "learning.recognition-awarded.v1",
        "learning.action-raised.v1",
        "learning.endorsement-requested.v1",
        "learning.action-completed.v1",
    ),
}


async def move_groups_to_end(bootstrap: str) -> None:
    """Start the four services' consumer groups at the end of their topics (a fresh run that
    must not replay old events). Only while the services are stopped, or on request."""
    settings = PlatformSettings(kafka_bootstrap_servers=bootstrap)
    for group, topics in GROUP_TOPICS.items():
        await start_group_at_end(settings, group, *topics)
