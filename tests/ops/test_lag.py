"""`vfp lag` against the real Kafka, for consumer groups the test creates."""

import json

from aiokafka import AIOKafkaProducer

from tests.ops.conftest import NewTopic, Vfp, run_id
from vfp_ops.lag import TopicLag, consumer_lag
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import end_offsets, position_group


async def _publish(servers: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"{}", key=f"key-{n}".encode())
    finally:
        await producer.stop()


async def test_lag_is_end_minus_committed_summed_over_partitions(
    platform_settings: PlatformSettings, new_topic: NewTopic, vfp: Vfp
) -> None:
    servers = platform_settings.kafka_bootstrap_servers
    topic = await new_topic(f"ops-test.lag-{run_id()}")
    group = f"ops-test-lag-{run_id()}"
    await _publish(servers, topic, 5)
    ends = await end_offsets(platform_settings, topic)
    await position_group(platform_settings, group, dict.fromkeys(ends, 0))

    assert await consumer_lag(servers, [group]) == [TopicLag(group, topic, 3, 0, 5, 5)]

    # The group catches up on every partition but one record.
    [(fullest, end)] = sorted(ends.items(), key=lambda item: -item[1])[:1]
    await position_group(platform_settings, group, {**ends, fullest: end - 1})
    result = await vfp("lag", "--group", group, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"group": group, "topic": topic, "partitions": 3, "committed": 4, "end": 5, "lag": 1}
    ]

    table = await vfp("lag", "-g", group)
    assert table.exit_code == 0, table.output
    assert group in table.output and topic in table.output
    assert "Total lag: 1" in table.output


async def test_a_group_without_commits_is_listed_as_such(
    platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    group = f"ops-test-nothing-{run_id()}"
    assert await consumer_lag(platform_settings.kafka_bootstrap_servers, [group]) == [
        TopicLag(group, None)
    ]
    result = await vfp("lag", "-g", group)
    assert result.exit_code == 0, result.output
    assert "no committed offsets" in result.output


async def test_all_lists_every_group(
    platform_settings: PlatformSettings, new_topic: NewTopic, vfp: Vfp
) -> None:
    topic = await new_topic(f"ops-test.lag-{run_id()}")
    group = f"ops-test-all-{run_id()}"
    ends = await end_offsets(platform_settings, topic)
    await position_group(platform_settings, group, ends)

    result = await vfp("lag", "--all", "--json")

    assert result.exit_code == 0, result.output
    assert {
        "group": group,
        "topic": topic,
        "partitions": 3,
        "committed": 0,
        "end": 0,
        "lag": 0,
    } in (json.loads(result.output))


async def test_unreachable_kafka_is_a_clear_error(vfp: Vfp) -> None:
    result = await vfp("lag", env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.exit_code == 2
    assert "does not answer" in result.output
