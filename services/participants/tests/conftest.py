"""The participants service running once for the whole folder on the real Kafka and
PostgreSQL, and an HTTP client for its app."""

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from participants_builders import eventually

from vfp_participants.bootstrap import Participants, build
from vfp_participants.settings import ParticipantsSettings
from vfp_shared.bus.dead_letters import dead_letter_topic
from vfp_shared.settings import PlatformSettings

TEST_GROUP = "participants-tests"


@pytest.fixture(scope="session")
def participants_settings(platform_settings: PlatformSettings) -> ParticipantsSettings:
    return ParticipantsSettings(
        **platform_settings.model_dump(),
        participants_cooling_off_days=28,
        participants_contact_interval_days=180,
        participants_sweep_interval_s=0,
    )


async def _ensure_topics(bootstrap: str, topics: list[str]) -> None:
    """Create the topics up front so the consumer is assigned them from its first join."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        missing = set(topics) - set(await admin.list_topics())
        for topic in sorted(missing):
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()


async def _start_group_at_the_end(bootstrap: str, group: str, topics: list[str]) -> None:
    """The shared topics hold every earlier run's (and the benchmark's) events: the tests'
    consumer group starts where the topics end now, and reads only what the tests publish."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions: list[TopicPartition] = []
        for topic in topics:

            async def probe(topic: str = topic) -> set[int] | None:
                return await _partitions(consumer, topic)

            found = await eventually(probe, what=f"the partitions of {topic}")
            partitions.extend(TopicPartition(topic, p) for p in found)
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int] | None:
    await consumer._client.force_metadata_update()
    found: set[int] | None = consumer.partitions_for_topic(topic)
    return found


@pytest.fixture(scope="session")
async def participants(participants_settings: ParticipantsSettings) -> AsyncIterator[Participants]:
    service = build(participants_settings, group=TEST_GROUP)
    topics = list(service.runtime.consumer.handlers)
    bootstrap = participants_settings.kafka_bootstrap_servers
    await _ensure_topics(bootstrap, topics + [dead_letter_topic(t) for t in topics])
    await _start_group_at_the_end(bootstrap, TEST_GROUP, topics)
    async with service.running():
        yield service


@pytest.fixture(scope="session")
async def client(participants: Participants) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=participants.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
