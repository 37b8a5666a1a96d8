"""Learning that leaves the service: recognition, case studies, endorsement, actions. Each
goes only as far as the victim's consent allows, and names no victim where it must not."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, ref

from vfp_feedback.adapters import tables as t
from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import (
    ActionCompletedV1,
    ActionRaisedV1,
    CaseStudySharedV1,
    EndorsementRecordedV1,
    EndorsementRequestedV1,
    RecognitionAwardedV1,
)
from vfp_shared.contracts.vocabulary import ConsentScope
from vfp_shared.testing import TopicReader, publish

PRAISE = ConsentScope.PRAISE_TO_NAMED_OFFICERS
CASE_STUDY = ConsentScope.CASE_STUDY_TO_NAMED_TEAMS


async def arrived(feedback: Feedback, settings: FeedbackSettings, *events: Any) -> None:
    await publish(settings.kafka_bootstrap_servers, list(events))
    await consents_arrived(feedback, [e.participant_ref for e in events])


async def test_praise_is_passed_on_only_under_the_victims_consent(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    officer, silent, praising = ref("officer"), ref("victim"), ref("victim")
    await arrived(
        feedback,
        settings,
        consent(silent, officers=(officer,)),
        consent(praising, scopes=(ConsentScope.TAKE_PART, PRAISE), officers=(officer,)),
    )
    coordinator = auth(settings, Role.COORDINATOR)

    def praise(victim: str, recipient: str) -> dict[str, Any]:
        return {
            "participant_ref": victim,
            "recipient_kind": "individual",
            "recipient_ref": recipient,
            "line_manager_ref": "sgt-1",
            "message": "She made me feel believed.",
        }

    no_scope = await client.post("/recognitions", headers=coordinator, json=praise(silent, officer))
    assert no_scope.status_code == 409
    not_named = await client.post(
        "/recognitions", headers=coordinator, json=praise(praising, ref("officer"))
    )
    assert not_named.status_code == 409
    async with TopicReader(settings.kafka_bootstrap_servers, RecognitionAwardedV1.TOPIC) as reader:
        awarded = await client.post(
            "/recognitions", headers=coordinator, json=praise(praising, officer)
        )
        assert awarded.status_code == 201
        recognition_ref = awarded.json()["recognition_ref"]
        [record] = await reader.records(
            lambda r: recognition_ref.encode() in (r.value or b""), count=1
        )
    assert officer.encode() in (record.value or b"")
    assert praising.encode() not in (record.value or b"")
    assert b"believed" not in (record.value or b"")


async def test_a_case_study_reaches_only_the_teams_the_victim_named(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, team, other = ref("victim"), ref("team"), ref("team")
    await arrived(
        feedback,
        settings,
        consent(victim, scopes=(ConsentScope.TAKE_PART, CASE_STUDY), teams=(team,)),
    )
    coordinator = auth(settings, Role.COORDINATOR)
    body = {
        "participant_ref": victim,
        "panel_ref": ref("panel"),
        "team_refs": [team],
        "write_up": "What the response team did well, and the delay at the scene.",
    }
    unnamed = await client.post(
        "/case-studies", headers=coordinator, json={**body, "team_refs": [team, other]}
    )
    assert unnamed.status_code == 409
    async with TopicReader(settings.kafka_bootstrap_servers, CaseStudySharedV1.TOPIC) as reader:
        shared = await client.post("/case-studies", headers=coordinator, json=body)
        assert shared.status_code == 201
        ref_ = shared.json()["case_study_ref"]
        [event] = await reader.events(lambda e: e.data.case_study_ref == ref_, count=1)
    assert event.data.team_refs == [team]
    ours = await client.get(
        f"/case-studies/{ref_}",
        headers=auth(settings, Role.STAFF, organisation="force", teams=[team]),
    )
    assert ours.status_code == 200 and "delay at the scene" in ours.json()["write_up"]
    theirs = await client.get(
        f"/case-studies/{ref_}",
        headers=auth(settings, Role.STAFF, organisation="force", teams=[other]),
    )
    assert theirs.status_code == 404


async def test_an_endorsement_is_asked_through_the_supporter_and_answered_once(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, service = ref("victim"), ref("service")
    given = consent(victim, support_service_ref=service)
    await arrived(feedback, settings, given)
    coordinator = auth(settings, Role.COORDINATOR)
    topics = (EndorsementRequestedV1.TOPIC, EndorsementRecordedV1.TOPIC)
    async with TopicReader(settings.kafka_bootstrap_servers, *topics) as reader:
        requested = await client.post(
            "/endorsements",
            headers=coordinator,
            json={"participant_refs": [victim], "subject": "New first-contact checklist"},
        )
        assert requested.status_code == 201
        endorsement_ref = requested.json()["endorsements"][victim]
        answer = {"outcome": "endorse_with_changes", "comments": "Ask about interpreters."}
        other_service = auth(settings, Role.SUPPORT_SERVICE, organisation=ref("service"))
        url = f"/endorsements/{endorsement_ref}/outcome"
        assert (await client.post(url, headers=other_service, json=answer)).status_code == 404
        client_service = auth(settings, Role.SUPPORT_SERVICE, organisation=service)
        assert (await client.post(url, headers=client_service, json=answer)).status_code == 200
        assert (await client.post(url, headers=coordinator, json=answer)).status_code == 409
        events = await reader.events(lambda e: e.data.endorsement_ref == endorsement_ref, count=2)
    requested_event, recorded_event = sorted(events, key=lambda e: e.topic, reverse=True)
    assert requested_event.data.supporter_ref == given.supporter_ref
    assert recorded_event.data.outcome == "endorse_with_changes"


async def test_a_completed_action_names_the_victims_whose_feedback_led_to_it(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    v1, v2, owner = ref("victim"), ref("victim"), ref("owner")
    await arrived(feedback, settings, consent(v1), consent(v2))
    coordinator = auth(settings, Role.COORDINATOR)
    testimonies = []
    for victim in (v1, v2):
        created = await client.post(
            "/testimonies",
            headers=coordinator,
            json={
                "participant_ref": victim,
                "panel_ref": ref("panel"),
                "route": "informal_oic",
                "could_be_better": "Nobody told me the outcome.",
            },
        )
        testimonies.append(created.json()["testimony_ref"])
    topics = (ActionRaisedV1.TOPIC, ActionCompletedV1.TOPIC)
    async with TopicReader(settings.kafka_bootstrap_servers, *topics) as reader:
        raised = await client.post(
            "/actions",
            headers=coordinator,
            json={
                "title": "Outcome letters within 5 days",
                "owner_ref": owner,
                "due_on": "2031-01-31",
                "testimony_refs": testimonies,
            },
        )
        assert raised.status_code == 201
        action_ref = raised.json()["action_ref"]
        url = f"/actions/{action_ref}/status"
        assert (
            await client.post(url, headers=coordinator, json={"status": "completed"})
        ).status_code == 200
        assert (
            await client.post(url, headers=coordinator, json={"status": "open"})
        ).status_code == 409
        events = await reader.events(lambda e: e.data.action_ref == action_ref, count=2)
    completed = next(e.data for e in events if isinstance(e.data, ActionCompletedV1))
    assert sorted(completed.participant_refs) == sorted([v1, v2])
    done = await client.get(
        "/actions",
        params={"status": "completed", "owner_ref": owner},
        headers=auth(settings, Role.BOARD),
    )
    assert action_ref in [a["action_ref"] for a in done.json()]
    nowhere = await client.post(
        "/actions",
        headers=coordinator,
        json={"title": "x", "owner_ref": "y", "due_on": "2031-01-31"},
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["detail"][0]["loc"] == ["body", "theme_code"]
    unknown = await client.post(
        "/actions",
        headers=coordinator,
        json={"title": "x", "owner_ref": "y", "due_on": "2031-01-31", "theme_code": "no_such"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "theme_code"]


async def linked(feedback: Feedback, action_ref: str) -> list[str]:
    async with feedback.runtime.engine.connect() as conn:
        found = await conn.scalars(
            sa.select(t.action_participants.c.participant_ref).where(
                t.action_participants.c.action_ref == action_ref
            )
        )
        return sorted(found)


async def test_an_action_from_a_theme_reaches_only_the_victims_who_said_it_lately(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    said_it, praised_it, long_ago = ref("victim"), ref("victim"), ref("victim")
    await arrived(feedback, settings, consent(said_it), consent(praised_it), consent(long_ago))
    coordinator = auth(settings, Role.COORDINATOR)
    theme = ref("theme").replace("-", "_")
    await client.post("/themes", headers=coordinator, json={"code": theme, "label": "Theme"})
    window = timedelta(days=settings.feedback_recurring_window_days)
    for victim, polarity, given_at in (
        (said_it, "negative", datetime.now(UTC)),
        (praised_it, "positive", datetime.now(UTC)),
        (long_ago, "negative", datetime.now(UTC) - window - timedelta(days=1)),
    ):
        told = await client.post(
            "/testimonies",
            headers=coordinator,
            json={
                "participant_ref": victim,
                "panel_ref": ref("panel"),
                "route": "live",
                "worked_well": "words",
                "given_at": given_at.isoformat(),
                "tags": [{"theme_code": theme, "polarity": polarity}],
            },
        )
        assert told.status_code == 201, told.text

    async def raised(**extra: str) -> str:
        body = {"title": "x", "owner_ref": "y", "due_on": "2031-01-31", "theme_code": theme}
        response = await client.post("/actions", headers=coordinator, json={**body, **extra})
        assert response.status_code == 201, response.text
        action_ref: str = response.json()["action_ref"]
        return action_ref

    assert await linked(feedback, await raised()) == [said_it]
    assert await linked(feedback, await raised(polarity="positive")) == [praised_it]


async def test_titles_and_subjects_on_the_bus_are_short_single_line_labels(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    coordinator = auth(settings, Role.COORDINATOR)
    two_lines = await client.post(
        "/actions",
        headers=coordinator,
        json={"title": "Outcome letters\nfor Jane", "owner_ref": "y", "due_on": "2031-01-31"},
    )
    assert two_lines.status_code == 422
    assert two_lines.json()["detail"][0]["loc"] == ["body", "title"]
    too_long = await client.post(
        "/endorsements",
        headers=coordinator,
        json={"participant_refs": [ref("victim")], "subject": "x" * 301},
    )
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "subject"]


async def audited(feedback: Feedback, action: str, subject_ref: str) -> int:
    async with feedback.runtime.engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t.audit)
            .where(t.audit.c.action == action, t.audit.c.subject_ref == subject_ref)
        )
        return int(count or 0)


async def test_a_recognitions_message_is_read_by_coordinators_only_and_audited(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, officer = ref("victim"), ref("officer")
    await arrived(
        feedback,
        settings,
        consent(victim, scopes=(ConsentScope.TAKE_PART, PRAISE), officers=(officer,)),
    )
    coordinator = auth(settings, Role.COORDINATOR)
    awarded = await client.post(
        "/recognitions",
        headers=coordinator,
        json={
            "participant_ref": victim,
            "recipient_kind": "individual",
            "recipient_ref": officer,
            "message": "She made me feel believed.",
        },
    )
    url = f"/recognitions/{awarded.json()['recognition_ref']}"
    for role in (Role.STAFF, Role.BOARD, Role.SUPPORT_SERVICE):
        assert (await client.get(url, headers=auth(settings, role))).status_code == 403
    read = await client.get(url, headers=coordinator)
    assert read.status_code == 200
    assert (read.json()["recipient_ref"], read.json()["message"]) == (
        officer,
        "She made me feel believed.",
    )
    assert await audited(feedback, "recognition.read", victim) == 1
    missing = await client.get(f"/recognitions/{ref('recognition')}", headers=coordinator)
    assert missing.status_code == 404


async def test_an_endorsements_comments_are_read_by_coordinators_and_the_victims_service(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, service = ref("victim"), ref("service")
    await arrived(feedback, settings, consent(victim, support_service_ref=service))
    coordinator = auth(settings, Role.COORDINATOR)
    requested = await client.post(
        "/endorsements",
        headers=coordinator,
        json={"participant_refs": [victim], "subject": "New first-contact checklist"},
    )
    url = f"/endorsements/{requested.json()['endorsements'][victim]}"
    answer = {"outcome": "endorse_with_changes", "comments": "Ask about interpreters."}
    assert (
        await client.post(f"{url}/outcome", headers=coordinator, json=answer)
    ).status_code == 200
    other_service = auth(settings, Role.SUPPORT_SERVICE, organisation=ref("service"))
    assert (await client.get(url, headers=other_service)).status_code == 404
    for role in (Role.STAFF, Role.BOARD):
        assert (await client.get(url, headers=auth(settings, role))).status_code == 403
    for reader in (coordinator, auth(settings, Role.SUPPORT_SERVICE, organisation=service)):
        read = await client.get(url, headers=reader)
        assert read.status_code == 200
        assert (read.json()["subject"], read.json()["outcome"], read.json()["comments"]) == (
            "New first-contact checklist",
            "endorse_with_changes",
            "Ask about interpreters.",
        )
    assert await audited(feedback, "endorsement.read", victim) == 2
