"""Withdrawal: participants.consent-withdrawn.v1 erases everything the victim told us."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, eventually, ref
from sqlalchemy.ext.asyncio import AsyncConnection

from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import ConsentWithdrawnV1
from vfp_shared.contracts.vocabulary import ConsentScope
from vfp_shared.testing import envelope, publish

# The bus record (outbox) carries refs by contract, the audit log must keep who was erased, and
# the withdrawal itself is kept so that a late consent cannot revive the victim.
KEPT_BY_DESIGN = {"audit_log", "outbox", "withdrawals"}


async def rows_holding(conn: AsyncConnection, needle: str, *, skip: set[str]) -> list[str]:
    """Every table.column of the feedback schema where `needle` occurs, as text or bytes."""
    columns = (
        await conn.execute(
            sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'feedback' AND data_type IN "
                "('text', 'character varying', 'bytea', 'json', 'jsonb', 'ARRAY')"
            )
        )
    ).all()
    found = []
    for table, column, kind in columns:
        if table in skip:
            continue
        where = (
            f"position(convert_to(:n, 'UTF8') in \"{column}\") > 0"
            if kind == "bytea"
            else f"\"{column}\"::text LIKE '%' || :n || '%'"
        )
        hits = await conn.scalar(
            sa.text(f'SELECT count(*) FROM feedback."{table}" WHERE {where}'), {"n": needle}
        )
        if hits:
            found.append(f"{table}.{column}")
    return found


async def test_withdrawal_erases_the_victims_words_everywhere(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim, officer, team, service = ref("victim"), ref("officer"), ref("team"), ref("service")
    canary = f"canary-{ref('words')}"
    scopes = (
        ConsentScope.TAKE_PART,
        ConsentScope.PRAISE_TO_NAMED_OFFICERS,
        ConsentScope.CASE_STUDY_TO_NAMED_TEAMS,
    )
    await publish(
        settings.kafka_bootstrap_servers,
        [
            consent(
                victim,
                scopes=scopes,
                officers=(officer,),
                teams=(team,),
                support_service_ref=service,
            )
        ],
    )
    await consents_arrived(feedback, [victim])
    coordinator = auth(settings, Role.COORDINATOR)

    async def post(
        url: str, body: dict[str, Any], headers: dict[str, str] = coordinator
    ) -> dict[str, Any]:
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    panel = ref("panel")
    testimony = await post(
        "/testimonies",
        {
            "participant_ref": victim,
            "panel_ref": panel,
            "route": "live",
            "worked_well": f"{canary} kind",
            "could_be_better": f"{canary} slow",
            "tags": [{"theme_code": "compassion", "polarity": "positive"}],
        },
    )
    await post(
        "/support-feedback",
        {"participant_ref": victim, "panel_ref": panel, "could_be_better": canary},
        auth(settings, Role.SUPPORT_SERVICE, organisation=service),
    )
    case_study = await post(
        "/case-studies", {"participant_ref": victim, "team_refs": [team], "write_up": canary}
    )
    await post(
        "/recognitions",
        {
            "participant_ref": victim,
            "recipient_kind": "individual",
            "recipient_ref": officer,
            "message": canary,
        },
    )
    endorsement = await post("/endorsements", {"participant_refs": [victim], "subject": "x"})
    await post(
        f"/endorsements/{endorsement['endorsements'][victim]}/outcome",
        {"outcome": "endorse", "comments": canary},
    )
    await post(
        "/actions",
        {
            "title": "t",
            "owner_ref": "o",
            "due_on": "2031-01-01",
            "testimony_refs": [testimony["testimony_ref"]],
        },
    )
    read = await client.get(f"/testimonies/{testimony['testimony_ref']}", headers=coordinator)
    assert canary in read.json()["worked_well"]
    async with feedback.runtime.engine.connect() as conn:
        before = await rows_holding(conn, victim, skip=KEPT_BY_DESIGN)
        # Sealed at rest: even before withdrawal the words are nowhere in plain text.
        assert await rows_holding(conn, canary, skip=set()) == []
    assert {
        "testimonies.participant_ref",
        "case_studies.participant_ref",
        "subject_keys.subject_ref",
    } <= set(before)

    await publish(
        settings.kafka_bootstrap_servers,
        [ConsentWithdrawnV1(participant_ref=victim, withdrawn_at=datetime.now(UTC))],
    )

    async def erased() -> bool:
        gone = await client.get(f"/testimonies/{testimony['testimony_ref']}", headers=coordinator)
        return gone.status_code == 404

    await eventually(erased)
    async with feedback.runtime.engine.connect() as conn:
        assert await rows_holding(conn, canary, skip=set()) == []
        assert await rows_holding(conn, victim, skip=KEPT_BY_DESIGN) == []
        awarded = await conn.scalar(
            sa.text("SELECT count(*) FROM feedback.recognitions WHERE recipient_ref = :o"),
            {"o": officer},
        )
    assert awarded == 1  # the praise was passed on; only the link to the victim is gone
    gone = await client.get(f"/case-studies/{case_study['case_study_ref']}", headers=coordinator)
    assert gone.status_code == 404
    refused = await client.post(
        "/testimonies",
        headers=coordinator,
        json={
            "participant_ref": victim,
            "panel_ref": panel,
            "route": "live",
            "worked_well": "again",
        },
    )
    assert refused.status_code == 409


async def handled(feedback: Feedback, event_id: UUID) -> bool:
    async with feedback.runtime.engine.connect() as conn:
        found = await conn.scalar(
            sa.text("SELECT count(*) FROM feedback.inbox WHERE event_id = :id"), {"id": event_id}
        )
    return bool(found)


async def test_an_older_consent_arriving_after_the_withdrawal_does_not_revive_the_victim(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim = ref("victim")
    now = datetime.now(UTC)
    withdrawn = envelope(ConsentWithdrawnV1(participant_ref=victim, withdrawn_at=now))
    await publish(settings.kafka_bootstrap_servers, [withdrawn])
    await eventually(lambda: handled(feedback, withdrawn.id))
    # The two events travel on different topics: a replay can deliver them in this order.
    late = envelope(consent(victim).model_copy(update={"given_at": now - timedelta(hours=1)}))
    await publish(settings.kafka_bootstrap_servers, [late])
    await eventually(lambda: handled(feedback, late.id))
    body = {
        "participant_ref": victim,
        "panel_ref": ref("panel"),
        "route": "live",
        "worked_well": "anything",
    }
    coordinator = auth(settings, Role.COORDINATOR)
    refused = await client.post("/testimonies", headers=coordinator, json=body)
    assert refused.status_code == 409
    # A consent given after the withdrawal counts: the victim may come back.
    await publish(settings.kafka_bootstrap_servers, [consent(victim)])
    await consents_arrived(feedback, [victim])
    assert (await client.post("/testimonies", headers=coordinator, json=body)).status_code == 201
