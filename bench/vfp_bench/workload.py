"""The events both pipelines consume: the same records, from the same offsets."""

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from vfp_bench.contracts import BenchCaseClosedV1
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus
from vfp_shared.envelope import Envelope
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import Offsets, end_offsets


async def produce_case_closed(settings: PlatformSettings, count: int) -> Offsets:
    """Append `count` events to the benchmark's topic; returns where they start."""
    run = uuid4().hex[:8]
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", linger_ms=10
    )
    await producer.start()
    try:
        # Make sure the topic exists before reading its end offsets.
        await producer.send_and_wait(BenchCaseClosedV1.TOPIC, b"{}", key=b"bench-warmup")
        start = await end_offsets(settings, BenchCaseClosedV1.TOPIC)
        closed_at = datetime.now(UTC)
        pending = []
        for i in range(count):
            envelope = Envelope(
                BenchCaseClosedV1(
                    case_ref=f"bench-{run}-{i}",
                    victim_ref=f"bench-victim-{run}-{i}",
                    oic_ref="oic-bench",
                    offence_category="assault",
                    domestic_abuse=True,
                    outcome="convicted",
                    justice_status=JusticeStatus.FINALISED,
                    closed_at=closed_at,
                    age_band=AgeBand.ADULT,
                ),
                source="/bench",
            )
            pending.append(
                await producer.send(
                    envelope.topic,
                    envelope.kafka_value(),
                    key=envelope.subject.encode(),
                    headers=envelope.kafka_headers(),
                )
            )
        await asyncio.gather(*pending)
        return start
    finally:
        await producer.stop()
