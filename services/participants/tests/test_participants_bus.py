"""The whole path over the real Kafka and PostgreSQL: force events in, candidates and
participants events out, replays harmless, bad input dead-lettered."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from participants_builders import a_closed_case, bearer, candidate_row, eventually, fresh
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_participants.adapters.tables import BUS, history
from vfp_participants.bootstrap import Participants
from vfp_participants.service_layer.screening import sweep
from vfp_shared.auth import Role
from vfp_shared.contracts import (
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    ClientNominatedV1,
    ComplaintOpenedV1,
    ComplaintResolvedV1,
)
from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope
from vfp_shared.testing import TopicReader, envelope, publish, publish_raw

OUT = (CandidateIdentifiedV1.TOPIC, CandidateExcludedV1.TOPIC)


def about(participant_ref: str) -> Any:
    return lambda event: getattr(event.data, "participant_ref", None) == participant_ref


async def status_of(engine: AsyncEngine, victim_ref: str, wanted: str) -> Any:
    row = await candidate_row(engine, victim_ref)
    return row if row is not None and row.status == wanted else None


async def test_a_closed_case_becomes_a_candidate_and_a_later_complaint_excludes_it(
    participants: Participants, engine: AsyncEngine
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    case = a_closed_case()
    async with TopicReader(bootstrap, *OUT) as reader:
        await publish(bootstrap, [case])
        row = await eventually(
            lambda: status_of(engine, case.victim_ref, "identified"), what="identified"
        )
        ref = row.participant_ref
        assert ref != case.victim_ref
        [identified] = await reader.events(about(ref), count=1)
        assert identified.data.source == "force_case"
        assert identified.data.contact_route == "support_worker"
        assert identified.data.themes == ["sexual_violence_and_domestic_abuse"]
        assert identified.data.policy_version == participants.services.policy.version

        complaint = ComplaintOpenedV1(
            complaint_ref=fresh("complaint"), case_ref=case.case_ref, opened_at=datetime.now(UTC)
        )
        await publish(bootstrap, [complaint])
        found = await reader.events(
            lambda e: about(ref)(e) and e.topic == CandidateExcludedV1.TOPIC, count=1
        )
        assert found[0].data.reason_codes == ["open_complaint"]
        assert (await candidate_row(engine, case.victim_ref)).status == "excluded"

        await publish(
            bootstrap,
            [
                ComplaintResolvedV1(
                    complaint_ref=complaint.complaint_ref,
                    case_ref=case.case_ref,
                    resolved_at=datetime.now(UTC),
                )
            ],
        )
        await eventually(lambda: status_of(engine, case.victim_ref, "identified"), what="back")
        # The reader goes on from where it was: this is a second candidate-identified.
        again = await reader.events(
            lambda e: about(ref)(e) and e.topic == CandidateIdentifiedV1.TOPIC, count=1
        )
        assert len(again) == 1 and again[0].id != identified.id


async def _publish_located(
    bootstrap: str, events: list[Envelope[Contract]]
) -> dict[TopicPartition, int]:
    """Publish and return, per partition, the last offset written."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        last: dict[TopicPartition, int] = {}
        for env in events:
            meta = await producer.send_and_wait(
                env.topic, env.kafka_value(), key=env.subject.encode(), headers=env.kafka_headers()
            )
            part = TopicPartition(meta.topic, meta.partition)
            last[part] = max(last.get(part, -1), meta.offset)
        return last
    finally:
        await producer.stop()


async def _consumed_past(bootstrap: str, group: str, positions: dict[TopicPartition, int]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return all(p in committed and committed[p].offset > o for p, o in positions.items())


async def _wait_consumed(bootstrap: str, group: str, positions: dict[TopicPartition, int]) -> None:
    async def probe() -> bool:
        return await _consumed_past(bootstrap, group, positions)

    await eventually(probe, what="the consumer to pass the published events")


async def _effects(engine: AsyncEngine, participant_ref: str) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        rows = await conn.scalar(
            sa.text("SELECT count(*) FROM participants.candidates WHERE participant_ref = :r"),
            {"r": participant_ref},
        )
        lines = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(history)
            .where(history.c.participant_ref == participant_ref)
        )
        outgoing = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(BUS.outbox)
            .where(BUS.outbox.c.key == participant_ref)
        )
    return int(rows or 0), int(lines or 0), int(outgoing or 0)


async def test_replaying_every_event_adds_no_rows_and_no_events(
    participants: Participants, engine: AsyncEngine
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    case = a_closed_case()
    complaint_ref = fresh("complaint")
    now = datetime.now(UTC)
    originals: list[Envelope[Contract]] = [
        envelope(case),
        envelope(
            ComplaintOpenedV1(complaint_ref=complaint_ref, case_ref=case.case_ref, opened_at=now)
        ),
        envelope(
            ComplaintResolvedV1(
                complaint_ref=complaint_ref, case_ref=case.case_ref, resolved_at=now
            )
        ),
    ]
    group = participants.runtime.consumer.group
    for env in originals:  # one at a time: the three topics are not ordered among themselves
        await _wait_consumed(bootstrap, group, await _publish_located(bootstrap, [env]))
    row = await eventually(lambda: status_of(engine, case.victim_ref, "identified"), what="row")
    before = await _effects(engine, row.participant_ref)
    assert before == (1, 3, 3)  # identified, excluded, identified again

    # The same envelopes again (a redelivery), then the same facts under new event ids.
    fresh_copies = [envelope(env.data) for env in originals]
    await _wait_consumed(
        bootstrap, group, await _publish_located(bootstrap, originals + fresh_copies)
    )

    # No new row, history line or outbox row: the relay publishes only outbox rows.
    assert await _effects(engine, row.participant_ref) == before


async def test_a_resent_case_closed_does_not_bring_a_declined_victim_forward_again(
    participants: Participants, engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    group = participants.runtime.consumer.group
    case = a_closed_case()
    await _wait_consumed(bootstrap, group, await _publish_located(bootstrap, [envelope(case)]))
    ref = (await candidate_row(engine, case.victim_ref)).participant_ref
    coordinator = bearer(participants.runtime.settings, Role.COORDINATOR)
    for step, body in [
        ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
        ("decline", None),
    ]:
        done = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
        assert done.status_code == 200, (step, done.text)
    before = await _effects(engine, ref)

    # The force sends the same case again, under a new event id: nothing changes.
    await _wait_consumed(bootstrap, group, await _publish_located(bootstrap, [envelope(case)]))
    assert (await candidate_row(engine, case.victim_ref)).status == "declined"
    assert await _effects(engine, ref) == before

    # Another case of theirs is a new route: screened again, the contact interval defers them.
    await publish(bootstrap, [a_closed_case(victim_ref=case.victim_ref)])
    row = await eventually(lambda: status_of(engine, case.victim_ref, "deferred"), what="new case")
    assert row.reason_codes == ["approached_recently"]


async def test_a_malformed_event_is_dead_lettered_and_the_next_one_still_handled(
    participants: Participants, engine: AsyncEngine
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    good = a_closed_case()
    # The good event's key: the same partition, so the next one is the one right after it.
    key = good.case_ref.encode()
    headers = [(name, value) for name, value in envelope(good).kafka_headers()]
    async with TopicReader(bootstrap, "force.case-closed.v1.dlq") as dead_letters:
        await publish_raw(
            bootstrap, "force.case-closed.v1", b'{"case_ref": 42', key=key, headers=headers
        )
        await publish(bootstrap, [good])
        [dead] = await dead_letters.records(lambda r: r.key == key, count=1)
        reasons = dict(dead.headers)
        assert reasons["dlq_original_topic"] == b"force.case-closed.v1"
        assert reasons["dlq_consumer_group"] == participants.runtime.consumer.group.encode()
    await eventually(lambda: status_of(engine, good.victim_ref, "identified"), what="next event")


async def test_a_case_closed_within_the_cooling_off_waits_for_the_sweep(
    participants: Participants, engine: AsyncEngine
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    closed_at = datetime.now(UTC) - timedelta(days=5)
    case = a_closed_case(closed_at=closed_at)
    await publish(bootstrap, [case])
    row = await eventually(lambda: status_of(engine, case.victim_ref, "deferred"), what="deferred")
    assert row.reason_codes == ["cooling_off"]
    assert row.deferred_until == closed_at + timedelta(days=28)

    later = replace(participants.services, clock=lambda: closed_at + timedelta(days=29))
    async with participants.runtime.units_of_work() as uow:
        assert await sweep(uow, later) >= 1
        await uow.commit()
    assert (await candidate_row(engine, case.victim_ref)).status == "identified"


async def test_a_nominated_client_waits_for_the_case_and_is_reached_through_their_worker(
    participants: Participants, engine: AsyncEngine
) -> None:
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    case = a_closed_case(support_service_ref=None, support_worker_ref=None)
    nomination = ClientNominatedV1(
        victim_ref=case.victim_ref,
        service_ref="service-sv",
        support_worker_ref="worker-nominating",
        nominated_at=datetime.now(UTC),
    )
    await publish(bootstrap, [nomination])
    row = await eventually(lambda: status_of(engine, case.victim_ref, "pending"), what="pending")
    assert row.reason_codes == ["case_not_known"]
    await publish(bootstrap, [case])
    row = await eventually(lambda: status_of(engine, case.victim_ref, "identified"), what="ok")
    assert (row.contact_route, row.supporter_ref) == ("support_worker", "worker-nominating")
    assert row.support_service_ref == "service-sv"
    assert sorted(row.sources) == ["force_case", "support_nomination"]
