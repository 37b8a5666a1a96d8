"""Testimonies over the real stack: consent arrives by Kafka, text is sealed, roles hold."""

import httpx
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, eventually, ref

from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts.vocabulary import ConsentScope
from vfp_shared.testing import publish


def a_testimony(participant_ref: str, panel_ref: str, **extra: object) -> dict[str, object]:
    return {
        "participant_ref": participant_ref,
        "panel_ref": panel_ref,
        "route": "live",
        "worked_well": "The officer kept me updated.",
        "could_be_better": "I waited months for my phone back.",
        **extra,
    }


async def test_a_testimony_is_refused_until_consent_arrives_then_accepted(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, panel = ref("victim"), ref("panel")
    coordinator = auth(settings, Role.COORDINATOR)
    refused = await client.post(
        "/testimonies", json=a_testimony(victim, panel), headers=coordinator
    )
    assert refused.status_code == 409
    await publish(settings.kafka_bootstrap_servers, [consent(victim)])

    async def accepted() -> httpx.Response | None:
        response = await client.post(
            "/testimonies", json=a_testimony(victim, panel), headers=coordinator
        )
        return response if response.status_code == 201 else None

    created = (await eventually(accepted)).json()
    assert {"theme_code": "kept_informed", "polarity": "positive"} in created["suggested_tags"]
    read = await client.get(f"/testimonies/{created['testimony_ref']}", headers=coordinator)
    assert read.status_code == 200
    assert read.json()["worked_well"] == "The officer kept me updated."
    assert read.json()["scopes"] == ["take_part"]
    async with feedback.runtime.engine.connect() as conn:
        stored = await conn.scalar(
            sa.text("SELECT worked_well FROM feedback.testimonies WHERE testimony_ref = :r"),
            {"r": created["testimony_ref"]},
        )
    assert b"kept me updated" not in stored


async def test_tags_are_set_by_a_coordinator_from_the_taxonomy(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    victim = ref("victim")
    coordinator = auth(settings, Role.COORDINATOR)
    await publish(settings.kafka_bootstrap_servers, [consent(victim)])

    async def captured() -> str | None:
        response = await client.post(
            "/testimonies", json=a_testimony(victim, ref("panel")), headers=coordinator
        )
        return response.json()["testimony_ref"] if response.status_code == 201 else None

    testimony_ref = await eventually(captured)
    tags = [
        {"theme_code": "timeliness", "polarity": "negative"},
        {"theme_code": "vcr_06_investigation_info", "polarity": "positive"},
    ]
    put = await client.put(
        f"/testimonies/{testimony_ref}/tags", json={"tags": tags}, headers=coordinator
    )
    assert put.status_code == 200
    read = await client.get(f"/testimonies/{testimony_ref}", headers=coordinator)
    assert sorted(read.json()["tags"], key=lambda t: t["theme_code"]) == tags
    unknown = await client.put(
        f"/testimonies/{testimony_ref}/tags",
        headers=coordinator,
        json={
            "tags": [
                {"theme_code": "timeliness", "polarity": "positive"},
                {"theme_code": "no_such", "polarity": "positive"},
            ]
        },
    )
    assert unknown.status_code == 422
    [error] = unknown.json()["detail"]
    assert error["loc"] == ["body", "tags", 1, "theme_code"]
    assert "no_such" in error["msg"]
    suggested = await client.get(
        f"/testimonies/{testimony_ref}/suggested-tags", headers=coordinator
    )
    assert {"theme_code": "timeliness", "polarity": "negative"} in suggested.json()


async def test_roles_and_validation(client: httpx.AsyncClient, settings: FeedbackSettings) -> None:
    body = a_testimony(ref("victim"), ref("panel"))
    assert (await client.post("/testimonies", json=body)).status_code == 401
    staff = auth(settings, Role.STAFF)
    assert (await client.post("/testimonies", json=body, headers=staff)).status_code == 403
    bad = await client.post(
        "/testimonies",
        json={**body, "route": "carrier_pigeon"},
        headers=auth(settings, Role.COORDINATOR),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "route"]
    missing = await client.get(
        f"/testimonies/{ref('testimony')}", headers=auth(settings, Role.COORDINATOR)
    )
    assert missing.status_code == 404


async def test_a_support_service_gives_feedback_for_its_own_clients_only(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    victim, service = ref("victim"), ref("service")
    await publish(settings.kafka_bootstrap_servers, [consent(victim, support_service_ref=service)])
    body = {
        "participant_ref": victim,
        "panel_ref": ref("panel"),
        "worked_well": "Her ISVA was there at every step.",
    }
    ours = auth(settings, Role.SUPPORT_SERVICE, organisation=service)

    async def given() -> str | None:
        response = await client.post("/support-feedback", json=body, headers=ours)
        return response.json()["testimony_ref"] if response.status_code == 201 else None

    testimony_ref = await eventually(given)
    theirs = auth(settings, Role.SUPPORT_SERVICE, organisation=ref("service"))
    assert (await client.post("/support-feedback", json=body, headers=theirs)).status_code == 404
    assert (
        await client.get(f"/support-feedback/{testimony_ref}", headers=theirs)
    ).status_code == 404
    read = await client.get(f"/support-feedback/{testimony_ref}", headers=ours)
    assert read.json()["route"] == "support_worker"


async def test_a_testimony_shows_what_the_victim_allows_now(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim = ref("victim")
    await publish(settings.kafka_bootstrap_servers, [consent(victim)])
    await consents_arrived(feedback, [victim])
    coordinator = auth(settings, Role.COORDINATOR)
    created = await client.post(
        "/testimonies", json=a_testimony(victim, ref("panel")), headers=coordinator
    )
    url = f"/testimonies/{created.json()['testimony_ref']}"
    assert (await client.get(url, headers=coordinator)).json()["scopes"] == ["take_part"]
    wider = (ConsentScope.TAKE_PART, ConsentScope.PRAISE_TO_NAMED_OFFICERS)
    await publish(settings.kafka_bootstrap_servers, [consent(victim, scopes=wider)])

    async def widened() -> bool:
        read = await client.get(url, headers=coordinator)
        return bool(read.json()["scopes"] == ["praise_to_named_officers", "take_part"])

    await eventually(widened)
