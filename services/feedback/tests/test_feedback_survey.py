"""The staff survey: opened by panels.panel-held.v1 over Kafka, one response per attendee."""

import httpx
import sqlalchemy as sa
from feedback_builders import auth, eventually, panel_held, ref

from vfp_feedback.adapters import tables as t
from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.testing import publish


async def held_panel(
    client: httpx.AsyncClient, settings: FeedbackSettings, attendees: list[str]
) -> str:
    panel = ref("panel")
    await publish(settings.kafka_bootstrap_servers, [panel_held(panel, attendees)])

    async def opened() -> bool:
        survey = await client.get(
            f"/panels/{panel}/survey", headers=auth(settings, Role.STAFF, attendees[0])
        )
        return survey.status_code == 200

    await eventually(opened)
    return panel


async def test_a_held_panel_opens_a_survey_for_its_attendees(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    attendee = ref("officer")
    panel = await held_panel(client, settings, [attendee, ref("officer")])
    survey = await client.get(
        f"/panels/{panel}/survey", headers=auth(settings, Role.STAFF, attendee)
    )
    assert [q["key"] for q in survey.json()["questions"]] == [
        "usefulness",
        "understanding_before",
        "understanding_after",
        "will_change_practice",
        "comments",
    ]
    assert survey.json()["responded"] is False
    stranger = await client.get(
        f"/panels/{panel}/survey", headers=auth(settings, Role.STAFF, ref("officer"))
    )
    assert stranger.status_code == 404


async def test_an_attendee_answers_once_and_results_average_the_answers(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    first, second = ref("officer"), ref("officer")
    panel = await held_panel(client, settings, [first, second, ref("officer")])
    url = f"/panels/{panel}/survey/responses"
    answers = {
        "usefulness": 5,
        "understanding_before": 2,
        "understanding_after": 4,
        "will_change_practice": True,
        "comments": "I will refer earlier.",
    }
    staff = auth(settings, Role.STAFF, first)
    assert (await client.post(url, headers=staff, json={"answers": answers})).status_code == 201
    again = await client.post(url, headers=staff, json={"answers": answers})
    assert again.status_code == 409
    assert (
        await client.post(
            url,
            headers=auth(settings, Role.STAFF, second),
            json={
                "answers": {
                    "usefulness": 2,
                    "understanding_before": 3,
                    "understanding_after": 3,
                    "will_change_practice": False,
                }
            },
        )
    ).status_code == 201
    stranger = await client.post(
        url, headers=auth(settings, Role.STAFF, ref("officer")), json={"answers": {"usefulness": 3}}
    )
    assert stranger.status_code == 404
    results = await client.get(
        f"/panels/{panel}/survey/results", headers=auth(settings, Role.BOARD)
    )
    body = results.json()
    assert body["responses"] == 2 and body["attendees"] == 3
    by_key = {q["key"]: q for q in body["questions"]}
    assert by_key["usefulness"]["mean"] == 3.5
    assert by_key["will_change_practice"]["yes"] == 1
    assert body["understanding_uplift"] == 1.0
    assert "I will refer earlier." not in results.text
    around_now = {"from": body["held_at"], "to": "2100-01-01T00:00:00Z"}
    trend = await client.get(
        "/surveys/trend", params=around_now, headers=auth(settings, Role.PANEL_LEAD)
    )
    assert panel in [p["panel_ref"] for p in trend.json()]
    assert (
        await client.get(
            f"/panels/{panel}/survey/results", headers=auth(settings, Role.STAFF, first)
        )
    ).status_code == 403


async def test_an_answer_out_of_range_is_refused_naming_the_question(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    attendee = ref("officer")
    panel = await held_panel(client, settings, [attendee])
    refused = await client.post(
        f"/panels/{panel}/survey/responses",
        headers=auth(settings, Role.STAFF, attendee),
        json={"answers": {"usefulness": 9}},
    )
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "answers", "usefulness"]
    assert error["type"] == "invalid_feedback" and "1 to 5" in error["msg"]


async def test_coordinators_define_the_questions_of_surveys_to_come(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    coordinator = auth(settings, Role.COORDINATOR)
    current = (await client.get("/survey/questions", headers=coordinator)).json()
    duplicate = await client.put(
        "/survey/questions", headers=coordinator, json={"questions": [current[0], current[0]]}
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["detail"][0]["loc"] == ["body", "questions", 1, "key"]
    mine = [
        {"key": "usefulness", "text": "Useful? (1-5)", "kind": "scale_1_5"},
        {"key": "recommend", "text": "Would you recommend it?", "kind": "yes_no"},
    ]
    try:
        assert (
            await client.put("/survey/questions", headers=coordinator, json={"questions": mine})
        ).status_code == 200
        attendee = ref("officer")
        panel = await held_panel(client, settings, [attendee])
    finally:
        # Other tests rely on the default questions.
        await client.put("/survey/questions", headers=coordinator, json={"questions": current})
    survey = await client.get(
        f"/panels/{panel}/survey", headers=auth(settings, Role.STAFF, attendee)
    )
    assert survey.json()["questions"] == mine


async def test_coordinators_read_a_panels_free_text_without_who_wrote_it(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    first, second, silent = ref("officer"), ref("officer"), ref("officer")
    panel = await held_panel(client, settings, [first, second, silent])
    url = f"/panels/{panel}/survey/responses"
    for attendee, answers in (
        (first, {"usefulness": 5, "comments": "I will refer earlier."}),
        (second, {"usefulness": 3, "comments": "Hearing it first-hand changed my mind."}),
        (silent, {"usefulness": 4}),
    ):
        staff = auth(settings, Role.STAFF, attendee)
        assert (await client.post(url, headers=staff, json={"answers": answers})).status_code == 201
    comments_url = f"/panels/{panel}/survey/comments"
    for role in (Role.STAFF, Role.PANEL_LEAD, Role.BOARD):
        assert (await client.get(comments_url, headers=auth(settings, role))).status_code == 403
    read = await client.get(comments_url, headers=auth(settings, Role.COORDINATOR))
    assert read.status_code == 200
    assert read.json() == {
        "panel_ref": panel,
        "comments": [
            {"key": "comments", "text": "Hearing it first-hand changed my mind."},
            {"key": "comments", "text": "I will refer earlier."},
        ],
    }
    assert first not in read.text and second not in read.text
    async with feedback.runtime.engine.connect() as conn:
        audited = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t.audit)
            .where(
                t.audit.c.action == "survey.comments-read",
                t.audit.c.subject_ref == f"survey:{panel}",
            )
        )
    assert audited == 1
    missing = await client.get(
        f"/panels/{ref('panel')}/survey/comments", headers=auth(settings, Role.COORDINATOR)
    )
    assert missing.status_code == 404
