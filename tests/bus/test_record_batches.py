"""The relay's record batches, on the real Kafka: full batches go and new ones start, every
record arrives once, each key's records in their order, on the partition `send` would choose;
a record at fault fails alone."""

from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from tests.bus.builders import run_id
from vfp_bench.contracts import BenchCaseClosedV1
from vfp_shared.bus.record_batches import OutgoingRecord, send_in_batches
from vfp_shared.bus.relay import kafka_producer
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import TopicReader

TOPIC = BenchCaseClosedV1.TOPIC


async def test_thousands_of_records_fill_several_batches_per_partition_and_keep_key_order(
    platform_settings: PlatformSettings,
) -> None:
    run = run_id()
    keys = [f"{run}-key-{k}".encode() for k in range(7)]
    # ~2 MB per partition: several 512 kB batches each.
    records = [
        OutgoingRecord(
            TOPIC, keys[i % 7], f"{run}:{i}:".encode() + b"x" * 2_000, [("seq", str(i).encode())]
        )
        for i in range(3_000)
    ]
    bootstrap = platform_settings.kafka_bootstrap_servers
    producer = kafka_producer(bootstrap)
    await producer.start()
    batches = _count_batches(producer)
    try:
        # Where `send` puts each key: the batches must agree.
        sent_alone = {
            key: (await producer.send_and_wait(TOPIC, b"where", key=key)).partition for key in keys
        }
        async with TopicReader(bootstrap, TOPIC) as reader:
            outcomes = await send_in_batches(producer, records)
            received = await reader.records(
                lambda r: r.value is not None and r.value.startswith(f"{run}:".encode()),
                count=len(records),
                then_quiet_s=1,
            )
    finally:
        await producer.stop()

    assert outcomes == [None] * len(records)
    assert len(received) == len(records)  # none lost, none doubled
    assert batches["count"] > len(set(sent_alone.values()))  # a partition had several
    for key in keys:
        of_key = [r for r in received if r.key == key]
        seqs = [int(dict(r.headers)["seq"]) for r in of_key]
        assert seqs == [i for i, record in enumerate(records) if record.key == key]
        assert {r.partition for r in of_key} == {sent_alone[key]}


async def test_a_record_at_fault_fails_alone_and_the_rest_arrive(
    platform_settings: PlatformSettings,
) -> None:
    run = run_id()
    key = f"{run}-key".encode()
    records = [
        OutgoingRecord(TOPIC, key, f"{run}:0".encode(), []),
        OutgoingRecord(TOPIC, key, f"{run}:1".encode() + b"x" * 2_000_000, []),  # too large
        OutgoingRecord(TOPIC, key, f"{run}:2".encode(), [("bad", "not bytes")]),  # type: ignore[list-item]
        OutgoingRecord(TOPIC, key, f"{run}:3".encode(), []),
    ]
    bootstrap = platform_settings.kafka_bootstrap_servers
    producer = kafka_producer(bootstrap)
    await producer.start()
    try:
        async with TopicReader(bootstrap, TOPIC) as reader:
            outcomes = await send_in_batches(producer, records)
            received = await reader.records(lambda r: r.key == key, count=2, then_quiet_s=1)
    finally:
        await producer.stop()
    assert outcomes[0] is None and outcomes[3] is None
    assert isinstance(outcomes[1], MessageSizeTooLargeError)
    assert isinstance(outcomes[2], TypeError)
    assert [r.value for r in received] == [f"{run}:0".encode(), f"{run}:3".encode()]


def _count_batches(producer: AIOKafkaProducer) -> dict[str, int]:
    """Counts the batches handed to the real producer (which still sends them)."""
    seen = {"count": 0}
    send_batch = producer.send_batch

    async def counted(*args: Any, **kwargs: Any) -> Any:
        seen["count"] += 1
        return await send_batch(*args, **kwargs)

    producer.send_batch = counted
    return seen
