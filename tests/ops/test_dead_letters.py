"""`vfp dead-letters` on the real Kafka: records dead-lettered by the shared DeadLetters (as a
consumer would), then listed, shown and replayed to their original topic."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from tests.ops.conftest import NewTopic, Vfp, run_id
from vfp_ops.dead_letters import DlqSummary, read_dead_letters, replay, summaries
from vfp_shared.bus.dead_letters import DLQ_HEADERS, DeadLetters, dead_letter_topic
from vfp_shared.envelope import MalformedEnvelope
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import TopicReader, end_offsets, publish_raw

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class DeadLettered:
    topic: str  # the original topic
    dlq: str
    group: str
    marker: str  # in each record's value (which the commands must not print by default)
    originals: list[ConsumerRecord[bytes, bytes]]


def _headers(ce_id: str) -> Headers:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", ce_id.encode()),
        ("ce_type", b"vfp.ops-test"),
        ("ce_source", b"/ops/test"),
        ("ce_time", datetime.now(UTC).isoformat().encode()),
        ("content-type", b"application/json"),
        ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    ]


async def _dead_letter(
    settings: PlatformSettings, topic: str, group: str, marker: str, count: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Publish malformed records to `topic`, read them back and dead-letter them."""
    servers = settings.kafka_bootstrap_servers
    async with TopicReader(servers, topic) as reader:
        for _ in range(count):
            await publish_raw(
                servers,
                topic,
                f'{{"case_ref": "{marker}'.encode(),  # cut short: not JSON
                key=f"key-{marker}".encode(),
                headers=_headers(str(uuid4())),
            )
        records = await reader.records(lambda r: True, count=count)
    assert len(records) == count
    broker = KafkaBroker(servers)
    await broker.start()
    try:
        dead_letters = DeadLetters(broker, group=group, service="ops-test")
        for record in records:
            await dead_letters.send(record, MalformedEnvelope("the record is not JSON"))
    finally:
        await broker.stop()
    return records


@pytest.fixture
async def dead_lettered(
    platform_settings: PlatformSettings, new_topic: NewTopic
) -> AsyncIterator[DeadLettered]:
    """Two dead letters on a fresh topic's DLQ (both topics are deleted after the test)."""
    run = run_id()
    topic = await new_topic(f"ops-test.dead-letters-{run}")
    dlq = await new_topic(dead_letter_topic(topic))
    group, marker = f"ops-test-group-{run}", f"value-marker-{run}"
    originals = await _dead_letter(platform_settings, topic, group, marker, 2)
    yield DeadLettered(topic, dlq, group, marker, originals)


async def _replayed_on(reader: TopicReader, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    return await reader.records(lambda r: True, count=count, timeout_s=10)


async def test_list_counts_the_dead_letters_of_each_dlq_topic(
    dead_lettered: DeadLettered, platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    servers = platform_settings.kafka_bootstrap_servers
    assert await summaries(servers, dead_lettered.topic) == [
        DlqSummary(dead_lettered.dlq, dead_lettered.topic, 3, 2, 2, 0)
    ]

    everything = await vfp("dead-letters", "list", "--json")
    assert everything.exit_code == 0, everything.output
    assert {
        "topic": dead_lettered.dlq,
        "original_topic": dead_lettered.topic,
        "partitions": 3,
        "total": 2,
        "pending": 2,
        "replayed": 0,
    } in json.loads(everything.output)

    table = await vfp("dead-letters", "list", dead_lettered.dlq, "--show", "5")
    assert table.exit_code == 0, table.output
    assert dead_lettered.dlq in table.output and dead_lettered.group in table.output
    assert dead_lettered.marker not in table.output


async def test_show_gives_the_dlq_headers_but_not_the_value(
    dead_lettered: DeadLettered, vfp: Vfp
) -> None:
    result = await vfp("dead-letters", "show", dead_lettered.dlq, "--json")

    assert result.exit_code == 0, result.output
    letters = json.loads(result.output)
    assert [d["original_offset"] for d in letters] == [
        str(r.offset) for r in dead_lettered.originals
    ]
    first = letters[0]
    assert first["original_topic"] == dead_lettered.topic
    assert first["original_partition"] == str(dead_lettered.originals[0].partition)
    assert first["consumer_group"] == dead_lettered.group
    assert first["error_class"] == "MalformedEnvelope"
    assert first["error_message"] == "the record is not JSON"
    assert first["ce_id"] == dict(dead_lettered.originals[0].headers)["ce_id"].decode()
    assert first["replayed"] is False
    assert "value" not in first
    assert dead_lettered.marker not in first["headers"].values()

    table = await vfp("dead-letters", "show", dead_lettered.topic)
    assert table.exit_code == 0, table.output
    assert "MalformedEnvelope" in table.output and first["ce_id"] in table.output
    assert f'"case_ref": "{dead_lettered.marker}' not in table.output

    one = await vfp(
        "dead-letters",
        "show",
        dead_lettered.dlq,
        "--partition",
        str(first["partition"]),
        "--offset",
        str(first["offset"]),
        "--value",
    )
    assert one.exit_code == 0, one.output
    assert "traceparent" in one.output and dead_lettered.group in one.output
    assert f'{{"case_ref": "{dead_lettered.marker}' in one.output


async def test_replay_one_then_all_then_nothing_again(
    dead_lettered: DeadLettered, platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    servers = platform_settings.kafka_bootstrap_servers
    first, second = dead_lettered.originals
    [letter, _] = await read_dead_letters(servers, dead_lettered.dlq)
    async with TopicReader(servers, dead_lettered.topic) as original:
        one = await vfp(
            "dead-letters",
            "replay",
            dead_lettered.dlq,
            "-p",
            str(letter.partition),
            "-o",
            str(letter.offset),
            "--yes",
        )
        assert one.exit_code == 0, one.output
        assert "1 dead letter(s) replayed" in one.output
        [replayed] = await _replayed_on(original, 1)
    assert (replayed.value, replayed.key) == (first.value, first.key)
    assert not any(name in DLQ_HEADERS for name, _ in replayed.headers)
    assert set(first.headers) <= set(replayed.headers)  # every original header, as it was
    assert await summaries(servers, dead_lettered.dlq) == [
        DlqSummary(dead_lettered.dlq, dead_lettered.topic, 3, 2, 1, 1)
    ]

    # --all replays only what was not replayed yet.
    async with TopicReader(servers, dead_lettered.topic) as original:
        everything = await vfp("dead-letters", "replay", dead_lettered.dlq, "--all", "--yes")
        assert everything.exit_code == 0, everything.output
        [replayed] = await _replayed_on(original, 1)
    assert (replayed.value, dict(replayed.headers)["ce_id"]) == (
        second.value,
        dict(second.headers)["ce_id"],
    )

    ends = await end_offsets(platform_settings, dead_lettered.topic)
    again = await vfp("dead-letters", "replay", dead_lettered.dlq, "--all", "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing replayed" in again.output
    assert await end_offsets(platform_settings, dead_lettered.topic) == ends
    assert await summaries(servers, dead_lettered.dlq) == [
        DlqSummary(dead_lettered.dlq, dead_lettered.topic, 3, 2, 0, 2)
    ]

    # A new dead letter: the next --all replays it alone.
    [third] = await _dead_letter(
        platform_settings, dead_lettered.topic, dead_lettered.group, dead_lettered.marker, 1
    )
    async with TopicReader(servers, dead_lettered.topic) as original:
        done = await replay(servers, dead_lettered.dlq)
        [replayed] = await _replayed_on(original, 1)
    assert [d.ce_id for d in done] == [dict(third.headers)["ce_id"].decode()]
    assert replayed.value == third.value


async def test_replay_asks_first_and_no_means_nothing_happens(
    dead_lettered: DeadLettered, platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    ends = await end_offsets(platform_settings, dead_lettered.topic)

    result = await vfp("dead-letters", "replay", dead_lettered.dlq, "--all", input="n\n")

    assert result.exit_code == 0, result.output
    assert "Replay 2 dead letter(s) to" in result.output
    assert "Nothing replayed" in result.output
    assert await end_offsets(platform_settings, dead_lettered.topic) == ends
    [summary] = await summaries(platform_settings.kafka_bootstrap_servers, dead_lettered.dlq)
    assert (summary.pending, summary.replayed) == (2, 0)


async def test_replay_needs_a_clear_target(dead_lettered: DeadLettered, vfp: Vfp) -> None:
    neither = await vfp("dead-letters", "replay", dead_lettered.dlq, "--yes")
    assert neither.exit_code == 2
    assert "give either --offset X or --all" in neither.output

    ambiguous = await vfp("dead-letters", "replay", dead_lettered.dlq, "-o", "0", "--yes")
    assert ambiguous.exit_code == 1
    assert "give --partition too" in ambiguous.output

    beyond = await vfp("dead-letters", "replay", dead_lettered.dlq, "-p", "0", "-o", "999", "--yes")
    assert beyond.exit_code == 1
    assert "not 999" in beyond.output

    missing = await vfp("dead-letters", "show", f"ops-test.missing-{run_id()}")
    assert missing.exit_code == 1
    assert "no topic" in missing.output
