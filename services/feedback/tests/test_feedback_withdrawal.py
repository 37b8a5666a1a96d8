"""Withdrawal: participants.consent-withdrawn.v1 erases everything the victim told us."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, eventually, ref
from sqlalchemy.ext.asyncio import AsyncConnection

from vfp_feedback.adapters import tables as t
from vfp_feedback.bootstrap import Feedback
from vfp_feedback.service_layer import participants
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import ActionCompletedV1, ConsentWithdrawnV1
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


async def columns_holding(conn: AsyncConnection, sealed: bytes) -> list[str]:
    """Every bytea column of the feedback schema holding these (sealed) bytes."""
    columns = (
        await conn.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'feedback' AND data_type = 'bytea'"
            )
        )
    ).all()
    found = []
    for table, column in columns:
        hits = await conn.scalar(
            sa.text(f'SELECT count(*) FROM feedback."{table}" WHERE "{column}" = :b'),
            {"b": sealed},
        )
        if hits:
            found.append(f"{table}.{column}")
    return found


async def sealed_for(conn: AsyncConnection, victim: str) -> list[bytes]:
    """Everything stored sealed under the victim's key, and the (wrapped) key itself."""
    found: list[bytes] = []
    for table, column in [
        (t.testimonies, "worked_well"),
        (t.testimonies, "could_be_better"),
        (t.case_studies, "write_up"),
        (t.recognitions, "message"),
        (t.endorsements, "comments"),
    ]:
        found += (
            await conn.scalars(
                sa.select(table.c[column]).where(
                    table.c.participant_ref == victim, table.c[column].is_not(None)
                )
            )
        ).all()
    found += (
        await conn.scalars(
            sa.select(t.subject_keys.c.wrapped_key).where(t.subject_keys.c.subject_ref == victim)
        )
    ).all()
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
        sealed = await sealed_for(conn, victim)
    # Two halves of a testimony, the support worker's feedback, the case study, the message,
    # the comments, and the key.
    assert len(sealed) == 7
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
        for words in sealed:
            assert await columns_holding(conn, words) == []
        assert await sealed_for(conn, victim) == []
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


@dataclass(frozen=True)
class Victim:
    """A consenting victim who already told us something, and who is about to withdraw."""

    ref: str
    officer: str
    team: str
    service: str
    theme: str
    testimony_ref: str
    endorsement_ref: str
    action_ref: str


async def a_victim_who_spoke(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> Victim:
    victim, officer, team, service = ref("victim"), ref("officer"), ref("team"), ref("service")
    scopes = (
        ConsentScope.TAKE_PART,
        ConsentScope.PRAISE_TO_NAMED_OFFICERS,
        ConsentScope.CASE_STUDY_TO_NAMED_TEAMS,
    )
    given = consent(
        victim, scopes=scopes, officers=(officer,), teams=(team,), support_service_ref=service
    )
    await publish(settings.kafka_bootstrap_servers, [given])
    await consents_arrived(feedback, [victim])
    coordinator = auth(settings, Role.COORDINATOR)
    theme = ref("theme").replace("-", "_")
    await client.post("/themes", headers=coordinator, json={"code": theme, "label": "Theme"})
    testimony = await client.post(
        "/testimonies",
        headers=coordinator,
        json={
            "participant_ref": victim,
            "panel_ref": ref("panel"),
            "route": "live",
            "could_be_better": "words",
            "tags": [{"theme_code": theme, "polarity": "negative"}],
        },
    )
    endorsement = await client.post(
        "/endorsements", headers=coordinator, json={"participant_refs": [victim], "subject": "x"}
    )
    testimony_ref = testimony.json()["testimony_ref"]
    action = await client.post(
        "/actions",
        headers=coordinator,
        json={
            "title": "t",
            "owner_ref": "o",
            "due_on": "2031-01-01",
            "testimony_refs": [testimony_ref],
        },
    )
    return Victim(
        victim,
        officer,
        team,
        service,
        theme,
        testimony_ref,
        endorsement.json()["endorsements"][victim],
        action.json()["action_ref"],
    )


def racing_write(
    write: str, victim: Victim, settings: FeedbackSettings
) -> tuple[str, str, dict[str, Any], dict[str, str], int]:
    """(method, url, body, headers, the status once the withdrawal has gone through)."""
    coordinator = auth(settings, Role.COORDINATOR)
    words = {"participant_ref": victim.ref, "panel_ref": ref("panel"), "worked_well": "words"}
    action = {"title": "t", "owner_ref": "o", "due_on": "2031-01-01"}
    writes: dict[str, tuple[str, str, dict[str, Any], dict[str, str], int]] = {
        "testimony": ("POST", "/testimonies", {**words, "route": "live"}, coordinator, 409),
        "support feedback": (
            "POST",
            "/support-feedback",
            words,
            auth(settings, Role.SUPPORT_SERVICE, organisation=victim.service),
            404,
        ),
        "case study": (
            "POST",
            "/case-studies",
            {"participant_ref": victim.ref, "team_refs": [victim.team], "write_up": "words"},
            coordinator,
            409,
        ),
        "recognition": (
            "POST",
            "/recognitions",
            {
                "participant_ref": victim.ref,
                "recipient_kind": "individual",
                "recipient_ref": victim.officer,
                "message": "words",
            },
            coordinator,
            409,
        ),
        "endorsement request": (
            "POST",
            "/endorsements",
            {"participant_refs": [victim.ref], "subject": "x"},
            coordinator,
            409,
        ),
        "endorsement outcome": (
            "POST",
            f"/endorsements/{victim.endorsement_ref}/outcome",
            {"outcome": "endorse", "comments": "words"},
            coordinator,
            404,
        ),
        "tags": (
            "PUT",
            f"/testimonies/{victim.testimony_ref}/tags",
            {"tags": [{"theme_code": victim.theme, "polarity": "positive"}]},
            coordinator,
            404,
        ),
        "action from a theme": (
            "POST",
            "/actions",
            {**action, "theme_code": victim.theme},
            coordinator,
            201,
        ),
        "action from a testimony": (
            "POST",
            "/actions",
            {**action, "testimony_refs": [victim.testimony_ref]},
            coordinator,
            201,
        ),
        "action completed": (
            "POST",
            f"/actions/{victim.action_ref}/status",
            {"status": "completed"},
            coordinator,
            200,
        ),
    }
    return writes[write]


async def waits_for(feedback: Feedback, pid: int) -> bool:
    """Whether some transaction is waiting for a lock the backend `pid` holds."""
    async with feedback.runtime.engine.connect() as conn:
        waiting = await conn.scalar(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE :p = ANY(pg_blocking_pids(pid))"),
            {"p": pid},
        )
    return bool(waiting)


@pytest.mark.parametrize(
    "write",
    [
        "testimony",
        "support feedback",
        "case study",
        "recognition",
        "endorsement request",
        "endorsement outcome",
        "tags",
        "action from a theme",
        "action from a testimony",
        "action completed",
    ],
)
async def test_a_write_racing_the_withdrawal_waits_for_it_and_leaves_nothing_behind(
    write: str, client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    victim = await a_victim_who_spoke(client, settings, feedback)
    method, url, body, headers, status = racing_write(write, victim, settings)
    async with feedback.runtime.units_of_work() as withdrawal:
        pid = await withdrawal.session.scalar(sa.text("SELECT pg_backend_pid()"))
        await participants.erase_participant(
            withdrawal, feedback.ctx, victim.ref, datetime.now(UTC)
        )
        racing = asyncio.create_task(client.request(method, url, json=body, headers=headers))
        try:
            await eventually(lambda: waits_for(feedback, pid), timeout_s=5)
            waited = True
        except AssertionError:
            waited = False
        await withdrawal.commit()
    response = await racing
    assert waited, "the write did not wait for the withdrawal under way"
    assert response.status_code == status, response.text
    async with feedback.runtime.engine.connect() as conn:
        assert await rows_holding(conn, victim.ref, skip=KEPT_BY_DESIGN) == []
        assert await sealed_for(conn, victim.ref) == []
        # The outbox keeps refs by contract, but "you said, we did" must not name the erased.
        outbox = t.BUS.outbox
        completed = (
            await conn.scalars(
                sa.select(outbox.c.payload).where(
                    outbox.c.topic == ActionCompletedV1.TOPIC, outbox.c.key == victim.action_ref
                )
            )
        ).all()
    assert len(completed) == (write == "action completed")
    assert [p for p in completed if victim.ref.encode() in p] == []
