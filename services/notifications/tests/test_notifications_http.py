"""The coordinator's HTTP API: the directory, previews and the delivery log."""

from typing import Any

import sqlalchemy as sa
from notifications_events import panel_held, ref, victim_invited
from notifications_fixtures import Directory
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.settings import NotificationsSettings
from vfp_shared.auth import Role, issue_token


async def test_the_directory_needs_a_coordinator_or_operator(
    client: Any, settings: NotificationsSettings
) -> None:
    entry = {"kind": "staff", "name": "Sam", "email": "sam@force.example"}
    assert (await client.put(f"/directory/{ref('pc')}", json=entry)).status_code == 401
    staff = issue_token(settings.jwt_key, "pc-1", [Role.STAFF])
    response = await client.put(
        f"/directory/{ref('pc')}", json=entry, headers={"Authorization": f"Bearer {staff}"}
    )
    assert response.status_code == 403
    operator = issue_token(settings.jwt_key, "ops-1", [Role.OPERATOR])
    response = await client.put(
        f"/directory/{ref('pc')}", json=entry, headers={"Authorization": f"Bearer {operator}"}
    )
    assert response.status_code == 200


async def test_a_coordinator_adds_reads_and_removes_an_entry_and_each_access_is_audited(
    client: Any, coordinator: dict[str, str], engine: AsyncEngine
) -> None:
    manager = ref("inspector")
    pc = ref("pc")
    body = {
        "kind": "staff",
        "name": "Sam Jones",
        "email": "sam.jones@force.example",
        "channels": ["teams", "email"],
        "line_manager_ref": manager,
    }
    assert (await client.put(f"/directory/{pc}", json=body, headers=coordinator)).is_success

    read = await client.get(f"/directory/{pc}", headers=coordinator)
    assert read.status_code == 200
    assert read.json() | body == read.json() and read.json()["ref"] == pc

    assert (await client.delete(f"/directory/{pc}", headers=coordinator)).status_code == 204
    assert (await client.get(f"/directory/{pc}", headers=coordinator)).status_code == 404
    assert (await client.delete(f"/directory/{pc}", headers=coordinator)).status_code == 404
    async with engine.connect() as conn:
        actions = (
            await conn.scalars(
                sa.text(
                    "SELECT action FROM notifications.audit_log WHERE subject_ref = :r ORDER BY id"
                ),
                {"r": pc},
            )
        ).all()
        stored = await conn.scalar(
            sa.text("SELECT count(*) FROM notifications.subject_keys WHERE subject_ref = :r"),
            {"r": pc},
        )
    assert actions == ["change", "consult", "erase"]
    assert stored == 0


async def test_contact_details_are_sealed_at_rest(
    directory: Directory, engine: AsyncEngine
) -> None:
    pc = await directory.add(ref("pc"), name="Sam Jones")
    async with engine.connect() as conn:
        contact = await conn.scalar(
            sa.text("SELECT contact FROM notifications.directory_entries WHERE ref = :r"),
            {"r": pc},
        )
    assert b"Sam Jones" not in contact and b"force.example" not in contact


async def test_a_bad_entry_is_refused_naming_the_field(
    client: Any, coordinator: dict[str, str]
) -> None:
    body = {"kind": "staff", "name": "Sam", "email": "not-an-address", "channels": ["fax"]}
    response = await client.put(f"/directory/{ref('pc')}", json=body, headers=coordinator)
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "email") in fields and ("body", "channels", 0) in fields


async def test_a_preview_renders_what_an_event_would_send_without_sending(
    client: Any, coordinator: dict[str, str], directory: Directory
) -> None:
    event = victim_invited()
    await directory.add(event.supporter_ref or "", name="Alex Worker")
    response = await client.post(
        "/previews",
        json={"topic": event.TOPIC, "data": event.model_dump(mode="json")},
        headers=coordinator,
    )
    assert response.status_code == 200, response.text
    [preview] = response.json()
    assert preview["recipient_ref"] == event.supporter_ref
    assert preview["channel"] == "email" and preview["has_calendar_invite"]
    assert preview["text"].startswith("Dear Alex Worker,")
    assert event.title in preview["subject"]
    log = await client.get(
        "/deliveries", params={"recipient_ref": event.supporter_ref}, headers=coordinator
    )
    assert log.json() == []


async def test_a_preview_names_unreachable_recipients_and_refuses_bad_events(
    client: Any, coordinator: dict[str, str]
) -> None:
    event = panel_held(attendee_refs=[ref("staff")])
    response = await client.post(
        "/previews",
        json={"topic": event.TOPIC, "data": event.model_dump(mode="json")},
        headers=coordinator,
    )
    [preview] = response.json()
    assert preview["unreachable_reason"] == "recipient_not_in_directory"

    bad = await client.post(
        "/previews", json={"topic": event.TOPIC, "data": {"panel_ref": "p"}}, headers=coordinator
    )
    assert bad.status_code == 422
    assert ["body", "data", "title"] in [e["loc"] for e in bad.json()["detail"]]
    unknown = await client.post(
        "/previews", json={"topic": "force.case-closed.v1", "data": {}}, headers=coordinator
    )
    assert unknown.status_code == 422


async def test_the_delivery_log_is_for_coordinators_and_operators(
    client: Any, settings: NotificationsSettings
) -> None:
    assert (await client.get("/deliveries")).status_code == 401
    support = issue_token(settings.jwt_key, "isva-1", [Role.SUPPORT_SERVICE])
    response = await client.get("/deliveries", headers={"Authorization": f"Bearer {support}"})
    assert response.status_code == 403
