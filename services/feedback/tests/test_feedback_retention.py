"""The retention purge: words recorded before the retention period are deleted (or, where the
report counts the row, stripped of its words); recent ones are kept."""

from typing import Any

import httpx
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, ref
from test_feedback_survey import held_panel
from test_feedback_withdrawal import columns_holding, rows_holding

from vfp_feedback.adapters import tables as t
from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts.vocabulary import ConsentScope
from vfp_shared.testing import publish

YEARS_AGO = sa.text("now() - interval '3 years'")
# The audit log keeps who was purged, the outbox carries refs by contract.
KEPT_BY_DESIGN = {"audit_log", "outbox"}


async def test_what_was_recorded_before_the_retention_period_is_purged(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    old_victim, recent_victim, team, officer = ref("victim"), ref("victim"), ref("team"), ref("o")
    scopes = (
        ConsentScope.TAKE_PART,
        ConsentScope.CASE_STUDY_TO_NAMED_TEAMS,
        ConsentScope.PRAISE_TO_NAMED_OFFICERS,
    )
    await publish(
        settings.kafka_bootstrap_servers,
        [
            consent(old_victim, scopes=scopes, teams=(team,), officers=(officer,)),
            consent(recent_victim),
        ],
    )
    attendee = ref("officer")
    panel = await held_panel(client, settings, [attendee])
    await consents_arrived(feedback, [old_victim, recent_victim])
    coordinator = auth(settings, Role.COORDINATOR)
    canary, recent_canary = f"canary-{ref('old')}", f"canary-{ref('recent')}"

    async def post(url: str, body: dict[str, Any], headers: Any = coordinator) -> Any:
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def testimony(victim: str, words: str) -> dict[str, Any]:
        return {
            "participant_ref": victim,
            "panel_ref": panel,
            "route": "live",
            "worked_well": words,
            "tags": [{"theme_code": "compassion", "polarity": "positive"}],
        }

    old = (await post("/testimonies", testimony(old_victim, canary)))["testimony_ref"]
    recent = (await post("/testimonies", testimony(recent_victim, recent_canary)))["testimony_ref"]
    case_study = {"participant_ref": old_victim, "team_refs": [team], "write_up": canary}
    await post("/case-studies", case_study)
    recognition = await post(
        "/recognitions",
        {
            "participant_ref": old_victim,
            "recipient_kind": "individual",
            "recipient_ref": officer,
            "message": canary,
        },
    )
    endorsement = await post("/endorsements", {"participant_refs": [old_victim], "subject": "x"})
    await post(
        f"/endorsements/{endorsement['endorsements'][old_victim]}/outcome",
        {"outcome": "endorse", "comments": canary},
    )
    answers = {
        "usefulness": 4,
        "understanding_before": 2,
        "understanding_after": 4,
        "will_change_practice": True,
        "comments": canary,
    }
    staff = auth(settings, Role.STAFF, attendee)
    await post(f"/panels/{panel}/survey/responses", {"answers": answers}, staff)

    async with feedback.runtime.engine.begin() as conn:
        sealed = await conn.scalar(
            sa.select(t.testimonies.c.worked_well).where(t.testimonies.c.testimony_ref == old)
        )
        for table, columns in [
            (t.testimonies, ("recorded_at", "given_at")),
            (t.case_studies, ("shared_at",)),
            (t.recognitions, ("awarded_at",)),
            (t.endorsements, ("requested_at", "recorded_at")),
        ]:
            await conn.execute(
                table.update()
                .where(table.c.participant_ref == old_victim)
                .values(dict.fromkeys(columns, YEARS_AGO))
            )
        await conn.execute(
            t.survey_responses.update()
            .where(t.survey_responses.c.panel_ref == panel)
            .values(responded_at=YEARS_AGO)
        )
    assert sealed is not None

    staff_refused = await client.post("/retention/purge", headers=staff)
    assert staff_refused.status_code == 403
    purged = await client.post("/retention/purge", headers=auth(settings, Role.OPERATOR))
    assert purged.status_code == 200, purged.text
    counts = purged.json()
    for key in (
        "testimonies",
        "case_studies",
        "endorsements",
        "recognition_messages",
        "survey_free_texts",
        "participants",
    ):
        assert counts[key] >= 1, key

    async with feedback.runtime.engine.connect() as conn:
        assert await rows_holding(conn, old, skip=KEPT_BY_DESIGN) == []  # tags too
        assert await columns_holding(conn, sealed) == []
        assert await rows_holding(conn, canary, skip=set()) == []
        for table in (t.case_studies, t.endorsements, t.recognitions):
            left = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.participant_ref == old_victim)
            )
            assert left == 0, table.name
        # Counted by the report: the recognition and the survey scores stay, without words.
        kept = (
            await conn.execute(
                sa.select(t.recognitions).where(
                    t.recognitions.c.recognition_ref == recognition["recognition_ref"]
                )
            )
        ).one()
        assert (kept.recipient_ref, kept.message, kept.participant_ref) == (officer, None, None)
        response = (
            await conn.execute(
                sa.select(t.survey_responses).where(t.survey_responses.c.panel_ref == panel)
            )
        ).one()
        assert response.free_text is None and response.scores["usefulness"] == 4
        audited = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t.audit)
            .where(
                t.audit.c.subject_ref == old_victim,
                t.audit.c.action == "retention:purge",
                t.audit.c.actor == "system",
            )
        )
        assert audited == 1

    gone = await client.get(f"/testimonies/{old}", headers=coordinator)
    assert gone.status_code == 404
    kept_testimony = await client.get(f"/testimonies/{recent}", headers=coordinator)
    assert kept_testimony.status_code == 200
    assert kept_testimony.json()["worked_well"] == recent_canary
    # The victim still consents: what they say from now on is taken as before.
    again = await client.post(
        "/testimonies", headers=coordinator, json=testimony(old_victim, "again")
    )
    assert again.status_code == 201, again.text
