"""Events in and out over the real Kafka: a withdrawal or an exclusion reaching a published
agenda, a late older consent ignored, and a panel held flowing out to the survey."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
from panels_builders import People, agenda_body, eventually, panel_body
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_panels.adapters.tables import BUS, pool
from vfp_panels.bootstrap import Panels
from vfp_panels.settings import PanelsSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import (
    CandidateExcludedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
    PanelHeldV1,
    ParticipantRemovedV1,
)
from vfp_shared.contracts.vocabulary import (
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)
from vfp_shared.testing import TopicReader, envelope, publish


def consent_given(
    participant_ref: str, mode: ParticipationMode, given_at: datetime | None = None
) -> ConsentGivenV1:
    return ConsentGivenV1(
        participant_ref=participant_ref,
        mode=mode,
        scopes=[ConsentScope.TAKE_PART],
        themes=[FocusTheme.STALKING_AND_HARASSMENT],
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref=f"sw-{uuid4()}",
        support_service_ref="svc-victim-support",
        given_at=given_at or datetime.now(UTC),
    )


async def in_pool(engine: AsyncEngine, *participant_refs: str) -> set[str]:
    async with engine.connect() as conn:
        found = await conn.scalars(
            sa.select(pool.c.participant_ref).where(pool.c.participant_ref.in_(participant_refs))
        )
        return set(found)


async def handled(engine: AsyncEngine, event_id: UUID) -> bool:
    """The consumer has applied this event (it is in the inbox)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count()).where(BUS.inbox.c.event_id == event_id)
        )
    return bool(found)


async def scheduled(client: httpx.AsyncClient, people: People, **changes: Any) -> str:
    response = await client.post("/panels", json=panel_body(**changes), headers=people.lead)
    ref: str = response.json()["panel_ref"]
    assert (await client.post(f"/panels/{ref}/schedule", headers=people.lead)).status_code == 200
    return ref


async def test_a_withdrawal_reaches_every_agenda_and_alerts_the_near_panel(
    client: httpx.AsyncClient,
    people: People,
    panels_settings: PanelsSettings,
    engine: AsyncEngine,
) -> None:
    bootstrap = panels_settings.kafka_bootstrap_servers
    leaving, staying = f"v-{uuid4()}", f"v-{uuid4()}"
    await publish(
        bootstrap,
        [
            consent_given(leaving, ParticipationMode.PRE_RECORDED),
            consent_given(staying, ParticipationMode.LIVE),
        ],
    )
    await eventually(lambda: _both_in_pool(engine, leaving, staying))
    pool_view = await client.get(
        "/pool?theme=stalking_and_harassment&mode=pre_recorded", headers=people.lead
    )
    assert leaving in [entry["participant_ref"] for entry in pool_view.json()]

    near = await scheduled(client, people, starts_at=datetime.now(UTC) + timedelta(days=5))
    later = await scheduled(client, people, starts_at=datetime.now(UTC) + timedelta(days=90))
    for ref in (near, later):
        invited = await client.post(
            f"/panels/{ref}/invitations",
            json={"kind": "victim", "participant_ref": leaving},
            headers=people.lead,
        )
        assert invited.status_code == 201, invited.text
        assert invited.json()["contact_route"] == "support_worker"
        assert invited.json()["supporter_ref"].startswith("sw-")
        agenda = agenda_body(
            {"participant_ref": leaving, "mode": "pre_recorded", "media_ref": f"media-{uuid4()}"},
            {"participant_ref": staying, "mode": "live"},
        )
        await client.put(f"/panels/{ref}/agenda", json=agenda, headers=people.lead)
        published = await client.post(f"/panels/{ref}/agenda/publish", headers=people.lead)
        assert published.status_code == 200, published.text

    async with TopicReader(bootstrap, ParticipantRemovedV1.TOPIC) as reader:
        await publish(
            bootstrap, [ConsentWithdrawnV1(participant_ref=leaving, withdrawn_at=datetime.now(UTC))]
        )
        removed = await reader.events(
            lambda e: e.data.participant_ref == leaving, count=2, then_quiet_s=1
        )
    assert {e.data.panel_ref for e in removed} == {near, later}
    assert {e.data.reason_code for e in removed} == {"consent_withdrawn"}

    for ref, alerts in ((near, 1), (later, 0)):
        panel = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
        agenda_refs = [i["participant_ref"] for i in panel["agenda"]["items"]]
        assert leaving not in agenda_refs and staying in agenda_refs
        assert panel["agenda"]["published_at"] is not None
        assert len(panel["alerts"]) == alerts
        invitations = await client.get(f"/panels/{ref}/invitations", headers=people.lead)
        assert invitations.json() == []
    assert await in_pool(engine, leaving, staying) == {staying}

    (alert,) = (await client.get(f"/panels/{near}", headers=people.lead)).json()["alerts"]
    seen = await client.post(
        f"/panels/{near}/alerts/{alert['alert_ref']}/acknowledge",
        headers=people.as_(Role.COORDINATOR, subject="coord-vsm"),
    )
    assert seen.json()["alerts"][0]["acknowledged_by"] == "coord-vsm"


async def _both_in_pool(engine: AsyncEngine, *refs: str) -> bool:
    return await in_pool(engine, *refs) == set(refs)


async def test_a_panel_held_flows_out_with_its_attendees(
    client: httpx.AsyncClient, people: People, panels_settings: PanelsSettings
) -> None:
    ref = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(hours=3))
    await client.post(
        f"/panels/{ref}/attendance",
        json={
            "attendees": [
                {
                    "attendee_ref": "pc-7",
                    "command_area_ref": "south",
                    "role": "constable",
                    "organisation_ref": "force",
                }
            ]
        },
        headers=people.lead,
    )
    recording = f"recording-{uuid4()}"
    async with TopicReader(panels_settings.kafka_bootstrap_servers, PanelHeldV1.TOPIC) as reader:
        held = await client.post(
            f"/panels/{ref}/held",
            json={
                "recording_ref": recording,
                "attendees": [
                    {"attendee_ref": "cps-2", "role": "prosecutor", "organisation_ref": "cps"}
                ],
            },
            headers=people.lead,
        )
        assert held.status_code == 200, held.text
        (event,) = await reader.events(lambda e: e.data.panel_ref == ref, count=1)
    assert event.data.recording_ref == recording
    assert event.data.attendee_refs == ["cps-2", "pc-7"]
    assert event.data.attendance_by_organisation == {"cps": 1, "force": 1}
    assert event.data.attendance_by_role == {"prosecutor": 1, "constable": 1}
    staff_view = await client.get(f"/panels/{ref}", headers=people.staff)
    assert (staff_view.json()["status"], staff_view.json()["recording_ref"]) == ("held", recording)
    closed = await client.post(f"/panels/{ref}/close", headers=people.lead)
    assert closed.json()["status"] == "closed"
    again = await client.post(
        f"/panels/{ref}/held", json={"recording_ref": recording}, headers=people.lead
    )
    assert again.status_code == 409


async def test_with_no_attendance_recorded_the_registered_staff_get_the_survey(
    client: httpx.AsyncClient, people: People, panels_settings: PanelsSettings
) -> None:
    ref = await scheduled(client, people)
    registered = [f"pc-{uuid4()}", f"pc-{uuid4()}"]
    for subject in registered:
        staff = people.as_(Role.STAFF, subject=subject)
        response = await client.post(
            f"/panels/{ref}/registrations", json={"command_area_ref": "east"}, headers=staff
        )
        assert response.status_code == 201
    # The panel took place earlier than planned.
    started = datetime.now(UTC) - timedelta(hours=2)
    moved = await client.post(
        f"/panels/{ref}/move",
        json={"starts_at": started.isoformat(), "ends_at": datetime.now(UTC).isoformat()},
        headers=people.lead,
    )
    assert moved.status_code == 200, moved.text
    async with TopicReader(panels_settings.kafka_bootstrap_servers, PanelHeldV1.TOPIC) as reader:
        held = await client.post(
            f"/panels/{ref}/held", json={"recording_ref": "rec-7"}, headers=people.lead
        )
        assert held.status_code == 200, held.text
        (event,) = await reader.events(lambda e: e.data.panel_ref == ref, count=1)
    assert event.data.attendee_refs == sorted(registered)
    assert event.data.attendance_by_command_area == {"east": 2}


async def test_an_older_consent_arriving_after_the_withdrawal_does_not_revive_the_victim(
    panels: Panels, panels_settings: PanelsSettings, engine: AsyncEngine
) -> None:
    bootstrap = panels_settings.kafka_bootstrap_servers
    victim = f"v-{uuid4()}"
    now = datetime.now(UTC)
    withdrawn = envelope(ConsentWithdrawnV1(participant_ref=victim, withdrawn_at=now))
    await publish(bootstrap, [withdrawn])
    await eventually(lambda: handled(engine, withdrawn.id))
    # The two travel on different topics: a backlog or a replay can deliver them in this order.
    late = envelope(
        consent_given(victim, ParticipationMode.LIVE, given_at=now - timedelta(hours=1))
    )
    await publish(bootstrap, [late])
    await eventually(lambda: handled(engine, late.id))
    assert await in_pool(engine, victim) == set()
    # A consent given after the withdrawal counts: the victim may come back.
    await publish(bootstrap, [consent_given(victim, ParticipationMode.LIVE)])
    await eventually(lambda: _both_in_pool(engine, victim))


async def test_an_excluded_victim_leaves_the_pool_and_the_coming_agendas_only(
    client: httpx.AsyncClient,
    people: People,
    panels_settings: PanelsSettings,
    engine: AsyncEngine,
) -> None:
    bootstrap = panels_settings.kafka_bootstrap_servers
    excluded, staying = f"v-{uuid4()}", f"v-{uuid4()}"
    first_consent = datetime.now(UTC) - timedelta(hours=2)
    await publish(
        bootstrap,
        [
            consent_given(excluded, ParticipationMode.LIVE, given_at=first_consent),
            consent_given(staying, ParticipationMode.LIVE),
        ],
    )
    await eventually(lambda: _both_in_pool(engine, excluded, staying))
    agenda = agenda_body(
        {"participant_ref": excluded, "mode": "live"},
        {"participant_ref": staying, "mode": "live"},
    )
    near = await scheduled(client, people, starts_at=datetime.now(UTC) + timedelta(days=5))
    past = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(hours=4))
    for ref in (near, past):
        invited = await client.post(
            f"/panels/{ref}/invitations",
            json={"kind": "victim", "participant_ref": excluded},
            headers=people.lead,
        )
        assert invited.status_code == 201, invited.text
        await client.put(f"/panels/{ref}/agenda", json=agenda, headers=people.lead)
    published = await client.post(f"/panels/{near}/agenda/publish", headers=people.lead)
    assert published.status_code == 200, published.text
    held = await client.post(
        f"/panels/{past}/held", json={"recording_ref": "rec-1"}, headers=people.lead
    )
    assert held.status_code == 200, held.text

    excluded_at = datetime.now(UTC) - timedelta(minutes=1)
    async with TopicReader(bootstrap, ParticipantRemovedV1.TOPIC) as reader:
        await publish(
            bootstrap,
            [
                CandidateExcludedV1(
                    participant_ref=excluded,
                    reason_codes=["open_complaint"],
                    policy_version="test",
                    excluded_at=excluded_at,
                )
            ],
        )
        (removed,) = await reader.events(
            lambda e: e.data.participant_ref == excluded, count=1, then_quiet_s=1
        )
    assert (removed.data.panel_ref, removed.data.reason_code) == (near, "candidate_excluded")
    assert await in_pool(engine, excluded, staying) == {staying}

    near_view = (await client.get(f"/panels/{near}", headers=people.lead)).json()
    assert [i["participant_ref"] for i in near_view["agenda"]["items"] if i["participant_ref"]] == [
        staying
    ]
    assert [a["kind"] for a in near_view["alerts"]] == ["participant_excluded"]
    # Uninvited from the coming panel; but not an erasure: the held panel keeps its record.
    invitations = (await client.get(f"/panels/{near}/invitations", headers=people.lead)).json()
    assert invitations == []
    past_view = (await client.get(f"/panels/{past}", headers=people.lead)).json()
    assert excluded in [i["participant_ref"] for i in past_view["agenda"]["items"]]
    past_invitations = await client.get(f"/panels/{past}/invitations", headers=people.lead)
    assert [i["participant_ref"] for i in past_invitations.json()] == [excluded]

    # A consent given before the exclusion, delivered late, does not bring them back ...
    late = envelope(consent_given(excluded, ParticipationMode.LIVE, given_at=first_consent))
    await publish(bootstrap, [late])
    await eventually(lambda: handled(engine, late.id))
    assert await in_pool(engine, excluded) == set()
    # ... a consent given after it does; and an exclusion older than that consent, delivered
    # late, leaves them in.
    await publish(bootstrap, [consent_given(excluded, ParticipationMode.LIVE)])
    await eventually(lambda: _both_in_pool(engine, excluded))
    stale = envelope(
        CandidateExcludedV1(
            participant_ref=excluded,
            reason_codes=["case_reopened"],
            policy_version="test",
            excluded_at=excluded_at - timedelta(minutes=1),
        )
    )
    await publish(bootstrap, [stale])
    await eventually(lambda: handled(engine, stale.id))
    assert await in_pool(engine, excluded) == {excluded}
