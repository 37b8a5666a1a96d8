"""The HTTP API against the real PostgreSQL and Kafka: panels, agenda, invitations,
registrations and who may do what."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import httpx
import pytest
from icalendar import Calendar
from panels_builders import SERVICES, People, agenda_body, consented, panel_body

from vfp_panels.bootstrap import Panels
from vfp_panels.settings import PanelsSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import PanelScheduledV1, ParticipantInvitedV1
from vfp_shared.contracts.vocabulary import ParticipationMode
from vfp_shared.testing import TopicReader


async def create(client: httpx.AsyncClient, people: People, **changes: Any) -> dict[str, Any]:
    response = await client.post("/panels", json=panel_body(**changes), headers=people.lead)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def scheduled(client: httpx.AsyncClient, people: People, **changes: Any) -> str:
    ref: str = (await create(client, people, **changes))["panel_ref"]
    response = await client.post(f"/panels/{ref}/schedule", headers=people.lead)
    assert response.status_code == 200, response.text
    return ref


async def test_a_lead_creates_a_draft_panel(client: httpx.AsyncClient, people: People) -> None:
    panel = await create(client, people)
    assert panel["status"] == "draft"
    assert panel["themes"] == ["sexual_violence_and_domestic_abuse", "stalking_and_harassment"]
    fetched = await client.get(f"/panels/{panel['panel_ref']}", headers=people.lead)
    assert fetched.json() == panel


async def test_a_panel_that_clashes_with_another_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    first = await create(client, people)
    overlapping = datetime.fromisoformat(first["starts_at"]) + timedelta(hours=2)
    response = await client.post("/panels", json=panel_body(overlapping), headers=people.lead)
    assert response.status_code == 409
    assert first["panel_ref"] in response.json()["detail"]
    after = datetime.fromisoformat(first["ends_at"])
    assert (
        await client.post("/panels", json=panel_body(after), headers=people.lead)
    ).status_code == 201


async def test_a_cancelled_panel_frees_its_time(client: httpx.AsyncClient, people: People) -> None:
    first = await create(client, people)
    cancelled = await client.post(
        f"/panels/{first['panel_ref']}/cancel",
        json={"reason_code": "operational_demand"},
        headers=people.lead,
    )
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(
        "/panels", json=panel_body(datetime.fromisoformat(first["starts_at"])), headers=people.lead
    )
    assert again.status_code == 201


async def test_a_panel_moved_onto_another_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    first = await create(client, people)
    second = await create(client, people, starts_at=datetime.now(UTC) + timedelta(days=100))
    onto_first = {"starts_at": first["starts_at"], "ends_at": first["ends_at"]}
    refused = await client.post(
        f"/panels/{second['panel_ref']}/move", json=onto_first, headers=people.lead
    )
    assert refused.status_code == 409
    later = datetime.fromisoformat(first["starts_at"]) + timedelta(days=1)
    moved = await client.post(
        f"/panels/{first['panel_ref']}/move",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=people.lead,
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["starts_at"]) == later


async def test_a_repeated_create_with_its_idempotency_key_makes_one_panel(
    client: httpx.AsyncClient, people: People
) -> None:
    headers = {**people.lead, "Idempotency-Key": str(uuid4())}
    first = await client.post("/panels", json=panel_body(), headers=headers)
    second = await client.post("/panels", json=panel_body(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["panel_ref"] == second.json()["panel_ref"]
    listed = await client.get("/panels", headers=people.lead)
    assert [p["panel_ref"] for p in listed.json()] == [first.json()["panel_ref"]]


async def test_an_idempotency_key_reused_for_another_panel_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    headers = {**people.lead, "Idempotency-Key": str(uuid4())}
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    first = await client.post("/panels", json=panel_body(starts), headers=headers)
    assert first.status_code == 201
    # The same instant written in another offset is the same request.
    same = panel_body(starts)
    same["starts_at"] = starts.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert (await client.post("/panels", json=same, headers=headers)).status_code == 200
    other = await client.post("/panels", json=panel_body(starts, title="Autumn"), headers=headers)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    listed = await client.get("/panels", headers=people.lead)
    assert [p["title"] for p in listed.json()] == ["Spring panel"]


async def test_proposed_dates_follow_the_latest_panel_by_the_cadence(
    client: httpx.AsyncClient, people: People
) -> None:
    latest = datetime(2027, 3, 10, 10, tzinfo=UTC)  # a Wednesday
    await create(client, people, starts_at=latest)
    response = await client.get("/panels/proposed-dates?count=2", headers=people.lead)
    assert response.status_code == 200
    assert response.json() == {
        "per_year": 2,
        "proposals": [
            {"starts_at": "2027-09-10T10:00:00Z", "ends_at": "2027-09-10T13:00:00Z"},
            {"starts_at": "2028-03-10T10:00:00Z", "ends_at": "2028-03-10T13:00:00Z"},
        ],
    }


async def test_a_panel_needs_where_to_go_for_its_format(
    client: httpx.AsyncClient, people: People
) -> None:
    response = await client.post(
        "/panels", json=panel_body(format="in_person"), headers=people.lead
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "venue"]
    naive = panel_body()
    naive["starts_at"] = "2027-05-12T10:00:00"
    assert (await client.post("/panels", json=naive, headers=people.lead)).status_code == 422


async def test_scheduling_announces_the_panel(
    client: httpx.AsyncClient, people: People, panels_settings: PanelsSettings
) -> None:
    async with TopicReader(
        panels_settings.kafka_bootstrap_servers, PanelScheduledV1.TOPIC
    ) as reader:
        ref = await scheduled(client, people, command_area_refs=["north", "south"])
        (event,) = await reader.events(lambda e: e.data.panel_ref == ref, count=1)
    assert event.data.lead_ref == "di-lead"
    assert event.data.command_area_refs == ["north", "south"]
    again = await client.post(f"/panels/{ref}/schedule", headers=people.lead)
    assert again.status_code == 409


async def test_publishing_an_incomplete_agenda_names_each_broken_check(
    client: httpx.AsyncClient, people: People, panels: Panels
) -> None:
    ref = await scheduled(client, people)
    camera_off = await consented(panels, ParticipationMode.LIVE_CAMERA_OFF)
    items = agenda_body({"participant_ref": camera_off, "mode": "live"})["items"]
    without_a_service = [i for i in items if i.get("service_ref") != SERVICES[0]]
    put = await client.put(
        f"/panels/{ref}/agenda", json={"items": without_a_service}, headers=people.lead
    )
    assert put.status_code == 200
    assert put.json()["agenda"]["total_minutes"] == 95
    checks = await client.get(f"/panels/{ref}/agenda/checks", headers=people.lead)
    assert checks.json()["ready"] is False
    published = await client.post(f"/panels/{ref}/agenda/publish", headers=people.lead)
    assert published.status_code == 422
    assert {d["rule"] for d in published.json()["detail"]} == {
        "every_commissioned_service_has_its_slot",
        "case_study_modes_match_consent",
    }


async def test_an_agenda_item_missing_what_its_kind_needs_is_refused(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = (await create(client, people))["panel_ref"]
    response = await client.put(
        f"/panels/{ref}/agenda",
        json={"items": [{"kind": "service_slot", "minutes": 10}]},
        headers=people.lead,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items", 0, "service_ref"]


async def test_a_case_study_of_a_victim_not_in_the_pool_is_refused_at_once(
    client: httpx.AsyncClient, people: People, panels: Panels
) -> None:
    ref = await scheduled(client, people)
    in_pool = await consented(panels)
    body = agenda_body(
        {"participant_ref": in_pool, "mode": "live"},
        {"participant_ref": f"v-{uuid4()}", "mode": "live"},
    )
    response = await client.put(f"/panels/{ref}/agenda", json=body, headers=people.lead)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items", 2, "participant_ref"]
    panel = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
    assert panel["agenda"]["items"] == []


async def test_a_panel_is_not_moved_into_less_time_than_its_published_agenda(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people)
    await client.put(f"/panels/{ref}/agenda", json=agenda_body(), headers=people.lead)
    published = await client.post(f"/panels/{ref}/agenda/publish", headers=people.lead)
    assert published.json()["agenda"]["total_minutes"] == 85
    starts = datetime.fromisoformat(published.json()["starts_at"])
    shorter = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }
    refused = await client.post(f"/panels/{ref}/move", json=shorter, headers=people.lead)
    assert refused.status_code == 409
    assert "85 minutes" in refused.json()["detail"]
    unchanged = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
    assert unchanged["ends_at"] == published.json()["ends_at"]


async def test_a_complete_agenda_is_published(client: httpx.AsyncClient, people: People) -> None:
    ref = await scheduled(client, people)
    await client.put(f"/panels/{ref}/agenda", json=agenda_body(), headers=people.lead)
    published = await client.post(f"/panels/{ref}/agenda/publish", headers=people.lead)
    assert published.status_code == 200, published.text
    agenda = published.json()["agenda"]
    assert agenda["published_at"] is not None
    assert [i["kind"] for i in agenda["items"]][:2] == ["opening", "service_slot"]
    assert agenda["items"][1]["starts_at"] == (
        datetime.fromisoformat(published.json()["starts_at"]) + timedelta(minutes=10)
    ).isoformat().replace("+00:00", "Z")


async def test_inviting_the_same_audience_twice_sends_one_invitation(
    client: httpx.AsyncClient, people: People, panels_settings: PanelsSettings
) -> None:
    ref = await scheduled(client, people)
    body = {"kind": "staff_audience", "command_area_ref": "north", "role": "sergeant"}
    async with TopicReader(
        panels_settings.kafka_bootstrap_servers, ParticipantInvitedV1.TOPIC
    ) as reader:
        first = await client.post(f"/panels/{ref}/invitations", json=body, headers=people.lead)
        second = await client.post(f"/panels/{ref}/invitations", json=body, headers=people.lead)
        (event,) = await reader.events(lambda e: e.data.panel_ref == ref, count=1, then_quiet_s=1)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["invitation_ref"] == second.json()["invitation_ref"]
    assert event.data.recipient_ref == "staff:north:sergeant"
    assert event.data.location == "https://meet.example.org/vfp-spring"
    listed = await client.get(f"/panels/{ref}/invitations", headers=people.lead)
    assert len(listed.json()) == 1


async def test_every_kind_of_audience_is_invited(client: httpx.AsyncClient, people: People) -> None:
    ref = await scheduled(client, people)
    bodies = [
        {"kind": "cps", "recipient_ref": "cps-east"},
        {"kind": "partner", "recipient_ref": "partner-ivsa"},
        *({"kind": "support_service", "recipient_ref": s} for s in SERVICES),
        {"kind": "staff_audience", "command_area_ref": "south"},
    ]
    for body in bodies:
        response = await client.post(f"/panels/{ref}/invitations", json=body, headers=people.lead)
        assert response.status_code == 201, response.text
    listed = await client.get(f"/panels/{ref}/invitations", headers=people.lead)
    assert sorted(i["recipient_ref"] for i in listed.json()) == sorted(
        ["cps-east", "partner-ivsa", *SERVICES, "staff:south:all"]
    )
    missing = await client.post(
        f"/panels/{ref}/invitations", json={"kind": "cps"}, headers=people.lead
    )
    assert missing.json()["detail"][0]["loc"] == ["body", "recipient_ref"]


async def test_a_victim_without_consent_on_record_is_not_invited(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people)
    response = await client.post(
        f"/panels/{ref}/invitations",
        json={"kind": "victim", "participant_ref": f"v-{uuid4()}"},
        headers=people.lead,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "participant_ref"]


async def test_a_draft_panel_sends_no_invitations(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = (await create(client, people))["panel_ref"]
    response = await client.post(
        f"/panels/{ref}/invitations",
        json={"kind": "cps", "recipient_ref": "cps-east"},
        headers=people.lead,
    )
    assert response.status_code == 409


async def test_an_invitations_calendar_entry_is_valid_icalendar(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people)
    invitation = await client.post(
        f"/panels/{ref}/invitations",
        json={"kind": "staff_audience", "command_area_ref": "north"},
        headers=people.lead,
    )
    response = await client.get(invitation.json()["ics_path"], headers=people.staff)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    panel = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
    assert event.decoded("DTSTART") == datetime.fromisoformat(panel["starts_at"])
    assert str(event["UID"]).startswith(invitation.json()["invitation_ref"])
    assert event.decoded("SEQUENCE") == 0
    later = datetime.fromisoformat(panel["starts_at"]) + timedelta(days=1)
    moved = await client.post(
        f"/panels/{ref}/move",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=3)).isoformat()},
        headers=people.lead,
    )
    assert moved.status_code == 200, moved.text
    again = await client.get(invitation.json()["ics_path"], headers=people.staff)
    (event,) = Calendar.from_ical(again.content).walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("SEQUENCE")) == (later, 1)
    unknown = await client.get(f"/panels/{ref}/invitations/invitation-x.ics", headers=people.lead)
    assert unknown.status_code == 404


async def test_registering_twice_books_one_place(client: httpx.AsyncClient, people: People) -> None:
    ref = await scheduled(client, people)
    staff = people.as_(Role.STAFF, subject=f"pc-{uuid4()}")
    body = {"command_area_ref": "north", "role": "constable"}
    first = await client.post(f"/panels/{ref}/registrations", json=body, headers=staff)
    second = await client.post(f"/panels/{ref}/registrations", json=body, headers=staff)
    assert (first.status_code, second.status_code) == (201, 200)
    assert (first.json()["new"], second.json()["new"]) == (True, False)
    registered = await client.get(f"/panels/{ref}/registrations", headers=people.lead)
    assert [r["role"] for r in registered.json()] == ["constable"]


async def test_a_started_panel_takes_no_registrations(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(minutes=5))
    response = await client.post(f"/panels/{ref}/registrations", json={}, headers=people.staff)
    assert response.status_code == 409


async def test_attendance_is_counted_and_completed_from_registrations(
    client: httpx.AsyncClient, people: People
) -> None:
    later = await scheduled(client, people)
    early = await client.post(
        f"/panels/{later}/attendance",
        json={"attendees": [{"attendee_ref": "pc-1"}]},
        headers=people.lead,
    )
    assert early.status_code == 409
    ref = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(minutes=5))
    response = await client.post(
        f"/panels/{ref}/attendance",
        json={
            "attendees": [
                {
                    "attendee_ref": "pc-1",
                    "command_area_ref": "north",
                    "role": "constable",
                    "organisation_ref": "force",
                },
                {
                    "attendee_ref": "pc-2",
                    "command_area_ref": "north",
                    "role": "sergeant",
                    "organisation_ref": "force",
                },
                {"attendee_ref": "cps-1", "role": "prosecutor", "organisation_ref": "cps"},
            ]
        },
        headers=people.lead,
    )
    assert response.status_code == 200, response.text
    assert response.json()["by_command_area"] == {"north": 2, "unknown": 1}
    assert response.json()["by_organisation"] == {"force": 2, "cps": 1}
    counted = await client.get(f"/panels/{ref}/attendance", headers=people.lead)
    assert counted.json()["total"] == 3


@pytest.mark.parametrize(
    ("path", "extra"),
    [("attendance", {}), ("held", {"recording_ref": "rec-1"})],
)
async def test_an_attendee_listed_twice_is_refused_naming_the_field(
    client: httpx.AsyncClient, people: People, path: str, extra: dict[str, str]
) -> None:
    ref = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(minutes=5))
    twice = [{"attendee_ref": "pc-1"}, {"attendee_ref": "pc-2"}, {"attendee_ref": "pc-1"}]
    response = await client.post(
        f"/panels/{ref}/{path}", json={"attendees": twice, **extra}, headers=people.lead
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "attendees"]
    assert "pc-1" in detail["msg"]
    panel = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
    assert panel["status"] == "scheduled"


async def test_attendance_is_not_recorded_after_the_panel_is_held(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people, starts_at=datetime.now(UTC) - timedelta(hours=3))
    held = await client.post(
        f"/panels/{ref}/held",
        json={"recording_ref": "rec-1", "attendees": [{"attendee_ref": "pc-1"}]},
        headers=people.lead,
    )
    assert held.status_code == 200, held.text
    late = await client.post(
        f"/panels/{ref}/attendance",
        json={"attendees": [{"attendee_ref": "pc-2"}]},
        headers=people.lead,
    )
    assert late.status_code == 409
    assert "mark" in late.json()["detail"] and "held" in late.json()["detail"]
    counted = await client.get(f"/panels/{ref}/attendance", headers=people.lead)
    assert counted.json()["attendee_refs"] == ["pc-1"]


async def test_the_http_api_is_described_for_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/panels/{panel_ref}/invitations/{invitation_ref}.ics" in paths
    assert paths["/panels"]["post"]["summary"].startswith("Create a draft panel")


async def test_the_events_are_described_for_asyncapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/asyncapi.json")).json()
    described = str(document["channels"])
    assert all(
        topic in described
        for topic in (
            "panels.panel-scheduled.v1",
            "panels.agenda-published.v1",
            "panels.participant-invited.v1",
            "panels.participant-removed.v1",
            "panels.panel-held.v1",
            "panels.panel-cancelled.v1",
            "participants.consent-given.v1",
            "participants.consent-withdrawn.v1",
            "participants.candidate-excluded.v1",
        )
    )


async def test_who_may_do_what(client: httpx.AsyncClient, people: People) -> None:
    draft = (await create(client, people))["panel_ref"]
    support = people.as_(Role.SUPPORT_SERVICE, organisation=SERVICES[0])
    assert (await client.get("/panels")).status_code == 401
    assert (
        await client.post("/panels", json=panel_body(), headers=people.staff)
    ).status_code == 403
    assert (await client.get("/panels", headers=support)).status_code == 403
    # The pool is force-wide (consent carries no organisation): organisers only.
    for outsider_role in (people.staff, support, people.as_(Role.BOARD)):
        assert (await client.get("/pool", headers=outsider_role)).status_code == 403
    assert (await client.get("/pool", headers=people.lead)).status_code == 200
    assert (await client.post(f"/panels/{draft}/schedule", headers=people.staff)).status_code == 403
    coordinator = people.as_(Role.COORDINATOR)
    assert (await client.get(f"/panels/{draft}", headers=coordinator)).status_code == 200
    # Staff do not see drafts; another organisation sees nothing at all.
    assert (await client.get(f"/panels/{draft}", headers=people.staff)).status_code == 404
    outsider = people.as_(Role.PANEL_LEAD, organisation=f"force-{uuid4()}")
    assert (await client.get(f"/panels/{draft}", headers=outsider)).status_code == 404
    assert (await client.post(f"/panels/{draft}/schedule", headers=outsider)).status_code == 404
    assert (
        await client.get(f"/panels/{draft}/registrations", headers=people.staff)
    ).status_code == 403


async def test_each_role_reaches_only_its_own_endpoints(
    client: httpx.AsyncClient, people: People, panels: Panels
) -> None:
    ref = await scheduled(client, people)
    victim_invitation = await client.post(
        f"/panels/{ref}/invitations",
        json={"kind": "victim", "participant_ref": await consented(panels)},
        headers=people.lead,
    )
    audience_invitation = await client.post(
        f"/panels/{ref}/invitations",
        json={"kind": "staff_audience", "command_area_ref": "north"},
        headers=people.lead,
    )
    victim_ics = victim_invitation.json()["ics_path"]
    audience_ics = audience_invitation.json()["ics_path"]
    lead, coordinator, staff = people.lead, people.as_(Role.COORDINATOR), people.staff
    support = people.as_(Role.SUPPORT_SERVICE, organisation=SERVICES[0])
    board = people.as_(Role.BOARD)
    held = {"recording_ref": "rec-1"}
    cancel = {"reason_code": "operational_demand"}
    invitation = {"kind": "cps", "recipient_ref": "cps-east"}
    table: list[tuple[str, dict[str, str], str, str, dict[str, Any] | None, int]] = [
        # A victim's calendar entry is not staff's to see: not found, as if it did not exist.
        ("staff", staff, "GET", victim_ics, None, 404),
        ("staff", staff, "GET", audience_ics, None, 200),
        ("lead", lead, "GET", victim_ics, None, 200),
        ("coordinator", coordinator, "GET", victim_ics, None, 200),
        ("support", support, "GET", audience_ics, None, 403),
        ("board", board, "GET", audience_ics, None, 403),
        *(
            (name, who, "POST", f"/panels/{ref}/{action}", body, 403)
            for name, who in (("staff", staff), ("support", support), ("board", board))
            for action, body in (
                ("agenda/publish", None),
                ("cancel", cancel),
                ("held", held),
                ("invitations", invitation),
            )
        ),
        *(
            (name, who, "GET", f"/panels/{ref}/invitations", None, 403)
            for name, who in (("staff", staff), ("support", support), ("board", board))
        ),
        # The board reviews what panels produce (through the events), not the panels here.
        ("board", board, "GET", "/panels", None, 403),
        ("board", board, "GET", f"/panels/{ref}", None, 403),
        ("board", board, "POST", "/panels", panel_body(), 403),
        ("support", support, "GET", "/panels", None, 403),
        ("staff", staff, "GET", "/panels", None, 200),
        ("coordinator", coordinator, "GET", "/panels", None, 200),
        ("lead", lead, "GET", f"/panels/{ref}/invitations", None, 200),
    ]
    answered = [
        (
            name,
            method,
            path,
            (await client.request(method, path, json=body, headers=who)).status_code,
        )
        for name, who, method, path, body, _ in table
    ]
    expected = [(name, method, path, code) for name, _, method, path, _, code in table]
    assert answered == expected
    panel = (await client.get(f"/panels/{ref}", headers=lead)).json()
    assert (panel["status"], len(panel["alerts"])) == ("scheduled", 0)


async def test_staff_see_upcoming_panels_without_who_tells_which_story(
    client: httpx.AsyncClient, people: People, panels: Panels
) -> None:
    ref = await scheduled(client, people)
    await create(client, people, starts_at=datetime.now(UTC) + timedelta(days=200))  # a draft
    victim = await consented(panels)
    await client.put(
        f"/panels/{ref}/agenda",
        json=agenda_body({"participant_ref": victim, "mode": "live"}),
        headers=people.lead,
    )
    upcoming = await client.get("/panels?upcoming=true", headers=people.staff)
    assert [p["panel_ref"] for p in upcoming.json()] == [ref]
    (case_study,) = [i for i in upcoming.json()[0]["agenda"]["items"] if i["kind"] == "case_study"]
    assert case_study["participant_ref"] is None
    organiser_view = await client.get(f"/panels/{ref}", headers=people.lead)
    assert victim in [i["participant_ref"] for i in organiser_view.json()["agenda"]["items"]]


async def test_a_commissioned_service_sees_only_its_own_timeslot(
    client: httpx.AsyncClient, people: People
) -> None:
    ref = await scheduled(client, people)
    await client.put(f"/panels/{ref}/agenda", json=agenda_body(), headers=people.lead)
    own = people.as_(Role.SUPPORT_SERVICE, organisation=SERVICES[1])
    response = await client.get("/service-slots", headers=own)
    assert response.status_code == 200
    mine = [slot for slot in response.json() if slot["panel_ref"] == ref]
    assert [(s["position"], s["minutes"]) for s in mine] == [(2, 10)]
    assert (await client.get(f"/panels/{ref}", headers=own)).status_code == 403
    assert (await client.get("/service-slots", headers=people.staff)).status_code == 403
