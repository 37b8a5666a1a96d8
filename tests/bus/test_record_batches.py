"""The relay's record batches, on the real Kafka: full batches go and new ones start, every
record arrives once, each key's records in their order, on the partition Java would choose."""

from aiokafka.partitioner import DefaultPartitioner

from tests.bus.builders import run_id
from vfp_bench.contracts import BenchCaseClosedV1
from vfp_shared.bus.record_batches import OutgoingRecord, send_in_batches
from vfp_shared.bus.relay import kafka_producer
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import TopicReader, partitions_of


async def test_thousands_of_records_fill_several_batches_per_partition_and_keep_key_order(
    platform_settings: PlatformSettings,
) -> None:
    run, topic = run_id(), BenchCaseClosedV1.TOPIC
    keys = [f"{run}-key-{k}".encode() for k in range(7)]
    # ~2 MB per partition: several 512 kB batches each.
    records = [
        OutgoingRecord(
            topic, keys[i % 7], f"{run}:{i}:".encode() + b"x" * 2_000, [("seq", str(i).encode())]
        )
        for i in range(3_000)
    ]
    bootstrap = platform_settings.kafka_bootstrap_servers
    producer = kafka_producer(bootstrap)
    await producer.start()
    try:
        async with TopicReader(bootstrap, topic) as reader:
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
    partitions = sorted(tp.partition for tp in await partitions_of(bootstrap, topic))
    for key in keys:
        of_key = [r for r in received if r.key == key]
        seqs = [int(dict(r.headers)["seq"]) for r in of_key]
        assert seqs == [i for i, record in enumerate(records) if record.key == key]
        assert {r.partition for r in of_key} == {DefaultPartitioner()(key, partitions, partitions)}


async def test_a_record_over_the_request_limit_is_refused_alone(
    platform_settings: PlatformSettings,
) -> None:
    run, topic = run_id(), BenchCaseClosedV1.TOPIC
    key = f"{run}-key".encode()
    records = [
        OutgoingRecord(topic, key, f"{run}:{i}".encode() + b"x" * size, [])
        for i, size in enumerate([10, 2_000_000, 10])
    ]
    producer = kafka_producer(platform_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        outcomes = await send_in_batches(producer, records)
    finally:
        await producer.stop()
    assert outcomes[0] is None and outcomes[2] is None
    assert type(outcomes[1]).__name__ == "MessageSizeTooLargeError"
