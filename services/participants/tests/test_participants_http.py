"""The HTTP API on the real database: the steps coordinators record, who may do what,
input errors naming their field, the audit log, and erasure on withdrawal."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from opentelemetry.trace import SpanKind
from participants_builders import a_closed_case, bearer, candidate_row, fresh, referred_candidate
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_participants.adapters.tables import BUS, audit, self_referrals
from vfp_participants.bootstrap import Participants
from vfp_shared.auth import Role
from vfp_shared.contracts import (
    CaseClosedV1,
    ClientNominatedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
)
from vfp_shared.crypto import KeyErased
from vfp_shared.telemetry import span_from
from vfp_shared.testing import TopicReader, envelope

SERVICE_A, SERVICE_B = "service-da", "service-sv"


def headers(participants: Participants, role: Role, organisation: str | None = None) -> Any:
    return bearer(participants.runtime.settings, role, organisation)


async def a_candidate(participants: Participants, **case: Any) -> tuple[str, CaseClosedV1]:
    """A force case applied through the service's own handler (no broker needed here)."""
    closed = a_closed_case(**case)
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(closed))
        await uow.commit()
    async with participants.runtime.engine.connect() as conn:
        ref = await conn.scalar(
            sa.text("SELECT participant_ref FROM participants.candidates WHERE victim_ref = :v"),
            {"v": closed.victim_ref},
        )
    assert ref is not None
    return ref, closed


async def test_a_coordinator_records_approach_and_consent_and_consent_given_is_published(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentGivenV1.TOPIC) as reader:
        approached = await client.post(
            f"/candidates/{ref}/approach",
            json={"via": "support_worker", "by_ref": case.support_worker_ref},
            headers=coordinator,
        )
        assert approached.status_code == 200, approached.text
        assert approached.json()["status"] == "approached"
        consent = {
            "mode": "pre_recorded",
            "scopes": ["take_part", "praise_to_named_officers"],
            "praise_officer_refs": [case.oic_ref],
        }
        consented = await client.post(
            f"/candidates/{ref}/consent", json=consent, headers=coordinator
        )
        assert consented.status_code == 200, consented.text
        [given] = await reader.events(lambda e: e.data.participant_ref == ref, count=1)
    assert given.data.mode == "pre_recorded"
    assert given.data.praise_officer_refs == [case.oic_ref]
    assert given.data.supporter_ref == case.support_worker_ref
    assert given.data.support_service_ref == SERVICE_A
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert [(h["kind"], h["to_status"]) for h in detail["history"]] == [
        ("screening", "identified"),
        ("approach", "approached"),
        ("consent", "consented"),
    ]
    assert detail["history"][0]["policy_version"] == participants.services.policy.version


async def _outbox_count(engine: AsyncEngine, ref: str) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count()).select_from(BUS.outbox).where(BUS.outbox.c.key == ref)
        )
    return int(found or 0)


async def test_an_illegal_step_is_refused_with_409_and_changes_nothing(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, _ = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    before = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    events_before = await _outbox_count(engine, ref)
    for step, body in [
        ("consent", {"mode": "live", "scopes": ["take_part"]}),
        ("decline", None),
        ("no-response", None),
        ("withdraw", None),
    ]:
        refused = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
        assert refused.status_code == 409, (step, refused.text)
        assert refused.json()["status"] == "identified"
    after = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert after == before
    assert await _outbox_count(engine, ref) == events_before


async def test_each_role_reaches_only_its_routes(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    ref, _ = await a_candidate(participants)
    as_ = {role: headers(participants, role, SERVICE_A) for role in Role}
    assert (await client.get("/candidates")).status_code == 401
    for role in (Role.STAFF, Role.OPERATOR, Role.BOARD):
        assert (await client.get("/candidates", headers=as_[role])).status_code == 403
        assert (await client.get(f"/candidates/{ref}", headers=as_[role])).status_code == 403
    for role in (Role.COORDINATOR, Role.PANEL_LEAD):
        assert (await client.get(f"/candidates/{ref}", headers=as_[role])).status_code == 200
    approach = {"via": "officer_in_case", "by_ref": "oic-x"}
    for role in (Role.STAFF, Role.SUPPORT_SERVICE):
        denied = await client.post(f"/candidates/{ref}/approach", json=approach, headers=as_[role])
        assert denied.status_code == 403
    flag = {"victim_ref": fresh("victim"), "case_ref": fresh("case")}
    assert (
        await client.post("/flags", json=flag, headers=as_[Role.COORDINATOR])
    ).status_code == 403
    assert (await client.post("/flags", json=flag, headers=as_[Role.STAFF])).status_code == 202
    nomination = {"victim_ref": fresh("victim"), "support_worker_ref": "sw-1"}
    denied = await client.post("/nominations", json=nomination, headers=as_[Role.COORDINATOR])
    assert denied.status_code == 403
    assert (await client.post("/screening/sweep", headers=as_[Role.STAFF])).status_code == 403
    assert (await client.post("/screening/sweep", headers=as_[Role.OPERATOR])).status_code == 200
    assert (await client.get("/do-not-contact", headers=as_[Role.SUPPORT_SERVICE])).status_code == (
        403
    )


async def test_a_support_service_sees_its_own_clients_only(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    _, case = await a_candidate(participants, support_service_ref=None, support_worker_ref=None)
    service_a = headers(participants, Role.SUPPORT_SERVICE, SERVICE_A)
    service_b = headers(participants, Role.SUPPORT_SERVICE, SERVICE_B)
    nominated = await client.post(
        "/nominations",
        json={"victim_ref": case.victim_ref, "support_worker_ref": "sw-a"},
        headers=service_a,
    )
    assert nominated.status_code == 202, nominated.text
    ref = nominated.json()["participant_ref"]
    assert nominated.json()["status"] == "identified"

    own = await client.get(f"/candidates/{ref}", headers=service_a)
    assert own.status_code == 200
    assert own.json()["contact_route"] == "support_worker"
    assert (await client.get(f"/candidates/{ref}", headers=service_b)).status_code == 404
    listed_a = (await client.get("/candidates?limit=500", headers=service_a)).json()
    listed_b = (await client.get("/candidates?limit=500", headers=service_b)).json()
    assert ref in {c["participant_ref"] for c in listed_a}
    assert ref not in {c["participant_ref"] for c in listed_b}
    assert all(c["support_service_ref"] == SERVICE_A for c in listed_a)

    nameless = headers(participants, Role.SUPPORT_SERVICE)
    assert (await client.get("/candidates", headers=nameless)).json() == []
    assert (await client.get(f"/candidates/{ref}", headers=nameless)).status_code == 404
    again = {"victim_ref": case.victim_ref, "support_worker_ref": "sw-a"}
    assert (await client.post("/nominations", json=again, headers=nameless)).status_code == 403


async def test_a_nomination_that_only_changes_the_route_is_in_the_history_and_audited(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants, support_service_ref=None, support_worker_ref=None)
    nominated = await client.post(
        "/nominations",
        json={"victim_ref": case.victim_ref, "support_worker_ref": "sw-a"},
        headers=headers(participants, Role.SUPPORT_SERVICE, SERVICE_A),
    )
    assert nominated.json() == {"participant_ref": ref, "status": "identified"}
    coordinator = headers(participants, Role.COORDINATOR)
    last = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()["history"][-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == (
        "screening",
        "identified",
        "identified",
    )
    assert last["trigger"] == "support.client-nominated"
    changed = {"contact_route", "supporter_ref", "support_service_ref"}
    assert set(last["detail"]["changed"]) == changed
    async with engine.connect() as conn:
        audited = (
            await conn.scalars(
                sa.select(audit.c.reason).where(
                    audit.c.subject_ref == ref,
                    audit.c.action == "screening:identified->identified",
                )
            )
        ).all()
    assert audited == ["support.client-nominated"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/candidates/{ref}/approach", {"via": "carrier_pigeon", "by_ref": "x"}, "via"),
        ("/candidates/{ref}/approach", {"via": "support_worker"}, "by_ref"),
        (
            "/candidates/{ref}/approach",
            {"via": "support_worker", "by_ref": "x", "approached_at": "2026-01-05T10:00:00"},
            "approached_at",  # no time zone
        ),
        (
            "/candidates/{ref}/approach",
            {
                "via": "support_worker",
                "by_ref": "x",
                "approached_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            },
            "approached_at",  # in the future
        ),
        ("/candidates/{ref}/decline", {"reason": ""}, "reason"),
        ("/candidates/{ref}/decline", {"reason": "she cried on the phone"}, "reason"),
        ("/candidates/{ref}/no-response", {"reason": "Victim_Request"}, "reason"),
        ("/candidates/{ref}/withdraw", {"reason": f"x{'y' * 60}"}, "reason"),  # over 60
        ("/candidates/{ref}/exclude", {"reason_code": "merged_duplicate"}, "reason_code"),
        (
            "/do-not-contact",
            {"victim_ref": "v-1", "reason_code": "merged_duplicate"},
            "reason_code",
        ),
        ("/candidates/{ref}/exclude", {"reason_code": "because"}, "reason_code"),
        ("/self-referrals", {"name": "A", "case_ref": "c-1"}, "phone"),
        ("/self-referrals", {"name": "A", "email": "not-an-email", "case_ref": "c-1"}, "email"),
        ("/do-not-contact", {"reason_code": "duplicate"}, "victim_ref"),
    ],
)
async def test_bad_input_is_refused_with_422_naming_the_field(
    participants: Participants, client: httpx.AsyncClient, path: str, body: Any, field: str
) -> None:
    ref, _ = await a_candidate(participants)
    response = await client.post(
        path.format(ref=ref), json=body, headers=headers(participants, Role.COORDINATOR)
    )
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


async def test_an_approach_a_little_ahead_of_our_clock_is_recorded(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    """The client's clock may run slightly ahead: not a reason to refuse the approach."""
    ref, case = await a_candidate(participants)
    at = datetime.now(UTC) + timedelta(minutes=2)
    approach = {"via": "support_worker", "by_ref": case.support_worker_ref}
    done = await client.post(
        f"/candidates/{ref}/approach",
        json={**approach, "approached_at": at.isoformat()},
        headers=headers(participants, Role.COORDINATOR),
    )
    assert done.status_code == 200, done.text
    assert datetime.fromisoformat(done.json()["approach"]["at"]) == at


async def test_a_childs_consent_without_a_guardian_is_refused_naming_the_field(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    ref, case = await a_candidate(participants, age_band="child")
    coordinator = headers(participants, Role.COORDINATOR)
    approach = {"via": "support_worker", "by_ref": case.support_worker_ref}
    assert (
        await client.post(f"/candidates/{ref}/approach", json=approach, headers=coordinator)
    ).status_code == 200
    consent: dict[str, Any] = {"mode": "by_support_worker", "scopes": ["take_part"]}
    refused = await client.post(f"/candidates/{ref}/consent", json=consent, headers=coordinator)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "guardian_consent"]
    consent["guardian_consent"] = True
    given = await client.post(f"/candidates/{ref}/consent", json=consent, headers=coordinator)
    assert given.status_code == 200 and given.json()["status"] == "consented"


async def test_every_read_and_change_is_audited(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    await client.get(f"/candidates/{ref}?purpose=panel+planning", headers=coordinator)
    await client.post(
        f"/candidates/{ref}/approach",
        json={"via": "officer_in_case", "by_ref": case.oic_ref},
        headers=coordinator,
    )
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(audit.c.actor, audit.c.actor_roles, audit.c.action, audit.c.reason)
                .where(audit.c.subject_ref == ref)
                .order_by(audit.c.id)
            )
        ).all()
    actions = [(row.action, row.reason) for row in rows]
    assert actions[0] == ("screening:pending->identified", "force.case-closed")
    assert ("read", "panel planning") in actions
    assert ("approach:identified->approached", "approach recorded") in actions
    assert {row.actor_roles for row in rows[1:]} == {"coordinator"}


async def test_the_do_not_contact_list_excludes_and_taking_off_screens_again(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    ref, _ = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    added = await client.post(
        "/do-not-contact",
        json={"participant_ref": ref, "reason_code": "victim_asked_not_to_be_contacted"},
        headers=coordinator,
    )
    assert added.status_code == 201
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert (detail["status"], detail["reason_codes"]) == ("excluded", ["do_not_contact"])
    listed = (await client.get("/do-not-contact?limit=500", headers=coordinator)).json()
    assert ref in {entry["participant_ref"] for entry in listed}
    removed = await client.delete(f"/do-not-contact/{ref}", headers=coordinator)
    assert removed.status_code == 200 and removed.json()["status"] == "identified"


async def test_a_victim_on_the_list_before_any_case_is_never_sourced(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    case = a_closed_case()
    listed = await client.post(
        "/do-not-contact",
        json={"victim_ref": case.victim_ref},
        headers=headers(participants, Role.COORDINATOR),
    )
    assert listed.status_code == 201 and listed.json() == {"participant_ref": None}
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(case))
        await uow.commit()
    async with engine.connect() as conn:
        stored = await conn.scalar(
            sa.text("SELECT count(*) FROM participants.cases WHERE victim_ref = :v"),
            {"v": case.victim_ref},
        )
    assert stored == 0


async def _schema_text(engine: AsyncEngine) -> str:
    """Every row of every table of the schema, as text."""
    async with engine.connect() as conn:
        names = (
            await conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'participants'")
            )
        ).scalars()
        dumps: list[str] = []
        for name in list(names):
            rows = await conn.execute(sa.text(f'SELECT t::text FROM participants."{name}" t'))
            dumps.extend(rows.scalars())
    return "\n".join(dumps)


async def test_withdrawal_erases_the_self_referrers_name_and_contact_details(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    force_ref, case = await a_candidate(participants)
    name, email = f"Zelda {fresh('Quintrell')}", f"{fresh('z')}@example.org"
    referred = await client.post(
        "/self-referrals",
        json={"name": name, "email": email, "case_ref": case.case_ref, "themes": []},
    )
    assert referred.status_code == 202, referred.text
    # The public answer names no candidate (it would tell a stranger the case has one) ...
    assert set(referred.json()) == {"message"}
    # ... and one victim = one candidate: the self-referral went to the case's force candidate.
    ref = await referred_candidate(engine, case.case_ref)
    assert ref == force_ref
    assert (await candidate_row(engine, case.victim_ref)).sources == [
        "force_case",
        "self_referral",
    ]
    coordinator = headers(participants, Role.COORDINATOR)
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert detail["self_referral"] == {"name": name, "email": email, "phone": None}
    # The force knows the victim: the self-referral does not make them reachable directly.
    assert (detail["status"], detail["contact_route"]) == ("identified", "support_worker")
    assert name not in await _schema_text(engine)  # sealed at rest, even before
    async with engine.connect() as conn:
        sealed = await conn.scalar(
            sa.select(self_referrals.c.name_sealed).where(self_referrals.c.participant_ref == ref)
        )
    assert sealed is not None

    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentWithdrawnV1.TOPIC) as reader:
        for step, body in [
            ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
            ("consent", {"mode": "live_camera_off", "scopes": ["take_part"]}),
            ("withdraw", None),
        ]:
            done = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
            assert done.status_code == 200, (step, done.text)
        [withdrawn] = await reader.events(lambda e: e.data.participant_ref == ref, count=1)
    assert withdrawn.data.participant_ref == ref

    text = await _schema_text(engine)
    assert name not in text and email not in text
    async with participants.runtime.units_of_work() as uow:
        with pytest.raises(KeyErased):
            await participants.services.vault.decrypt(uow.session, ref, sealed)
    after = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert (after["status"], after["self_referral"], after["consent"]) == ("withdrawn", None, None)


async def test_a_withdrawn_victim_is_forgotten_and_not_sourced_again(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    for step, body in [
        ("approach", {"via": "officer_in_case", "by_ref": case.oic_ref}),
        ("withdraw", None),
    ]:
        done = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
        assert done.status_code == 200, (step, done.text)
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(case))  # the force sends the case again
        await uow.commit()
    text = await _schema_text(engine)
    assert case.victim_ref not in text and case.case_ref not in text
    listed = (await client.get("/do-not-contact?limit=500", headers=coordinator)).json()
    assert any(e["reason_code"] == "consent_withdrawn" for e in listed)


async def test_a_coordinators_consent_continues_the_trace_of_the_case_that_brought_the_victim(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    trace_id = "5a1d0c0ffee0000000000000000c0de5"
    with span_from(
        "force.case-closed.v1 process", f"00-{trace_id}-1111111111111111-01", SpanKind.CONSUMER
    ):
        ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentGivenV1.TOPIC) as reader:
        await client.post(
            f"/candidates/{ref}/approach",
            json={"via": "support_worker", "by_ref": case.support_worker_ref},
            headers=coordinator,
        )
        consented = await client.post(
            f"/candidates/{ref}/consent",
            json={"mode": "live", "scopes": ["take_part"]},
            headers=coordinator,
        )
        assert consented.status_code == 200, consented.text
        [given] = await reader.events(lambda e: e.data.participant_ref == ref, count=1)
    assert given.traceparent is not None
    assert given.traceparent.split("-")[1] == trace_id


async def test_a_victim_excluded_after_consenting_can_still_withdraw_and_is_erased(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentWithdrawnV1.TOPIC) as reader:
        for step, body in [
            ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
            ("consent", {"mode": "live", "scopes": ["take_part"]}),
            ("exclude", {"reason_code": "support_service_advised"}),
            ("withdraw", None),
        ]:
            done = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
            assert done.status_code == 200, (step, done.text)
        [withdrawn] = await reader.events(lambda e: e.data.participant_ref == ref, count=1)
    assert withdrawn.data.participant_ref == ref
    text = await _schema_text(engine)
    assert case.victim_ref not in text and case.case_ref not in text
    after = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()
    assert (after["status"], after["consent"], after["reason_codes"]) == ("withdrawn", None, [])
    assert [h["kind"] for h in after["history"]][-2:] == ["exclude", "withdraw"]


async def test_reading_the_do_not_contact_list_is_audited_entry_by_entry(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, _ = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    for body in ({"participant_ref": ref}, {"victim_ref": fresh("victim")}):
        assert (
            await client.post("/do-not-contact", json=body, headers=coordinator)
        ).status_code == 201
    purpose = fresh("purpose")
    listed = await client.get(f"/do-not-contact?limit=500&purpose={purpose}", headers=coordinator)
    assert listed.status_code == 200
    entries = listed.json()
    assert ref in {entry["participant_ref"] for entry in entries}
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(audit.c.action, audit.c.subject_ref, audit.c.actor_roles).where(
                    audit.c.reason == purpose
                )
            )
        ).all()
    assert len(rows) == len(entries)
    assert {(row.action, row.actor_roles) for row in rows} == {
        ("do_not_contact:read", "coordinator")
    }
    subjects = [row.subject_ref for row in rows]
    assert ref in subjects
    assert any(subject.startswith("do-not-contact:") for subject in subjects)  # no ref to name


async def test_a_service_cannot_take_over_another_services_client_by_nominating_them(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    service_a = headers(participants, Role.SUPPORT_SERVICE, SERVICE_A)
    service_b = headers(participants, Role.SUPPORT_SERVICE, SERVICE_B)
    coordinator = headers(participants, Role.COORDINATOR)

    # A's client by the force's case: B's nomination is ignored and reveals nothing.
    ref, case = await a_candidate(participants)
    nominated = await client.post(
        "/nominations",
        json={"victim_ref": case.victim_ref, "support_worker_ref": "sw-b"},
        headers=service_b,
    )
    assert nominated.status_code == 202, nominated.text
    assert nominated.json() == {"participant_ref": None, "status": None}
    assert (await client.get(f"/candidates/{ref}", headers=service_b)).status_code == 404
    own = await client.get(f"/candidates/{ref}", headers=service_a)
    assert own.status_code == 200
    assert (own.json()["support_service_ref"], own.json()["supporter_ref"]) == (
        SERVICE_A,
        case.support_worker_ref,
    )
    history = (await client.get(f"/candidates/{ref}", headers=coordinator)).json()["history"]
    assert (history[-1]["kind"], history[-1]["from_status"]) == ("nomination_ignored", "identified")
    assert SERVICE_B not in str(history)  # A does not learn that B knows their client
    async with engine.connect() as conn:
        ignored = await conn.scalar(
            sa.select(audit.c.reason).where(
                audit.c.subject_ref == ref, audit.c.action == "nomination:ignored"
            )
        )
    assert ignored == f"support.client-nominated by {SERVICE_B}"

    # A's client by A's nomination: B's nomination on the bus does not replace it either.
    _, unsupported = await a_candidate(
        participants, support_service_ref=None, support_worker_ref=None
    )
    first = await client.post(
        "/nominations",
        json={"victim_ref": unsupported.victim_ref, "support_worker_ref": "sw-a"},
        headers=service_a,
    )
    assert first.status_code == 202 and first.json()["status"] == "identified"
    second_ref = first.json()["participant_ref"]
    handler = participants.runtime.consumer.handlers[ClientNominatedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(
            uow,
            envelope(
                ClientNominatedV1(
                    victim_ref=unsupported.victim_ref,
                    service_ref=SERVICE_B,
                    support_worker_ref="sw-b",
                    nominated_at=datetime.now(UTC),
                )
            ),
        )
        await uow.commit()
    row = await candidate_row(engine, unsupported.victim_ref)
    assert (row.nominated_service_ref, row.nominated_worker_ref) == (SERVICE_A, "sw-a")
    assert (row.support_service_ref, row.supporter_ref) == (SERVICE_A, "sw-a")
    assert (await client.get(f"/candidates/{second_ref}", headers=service_a)).status_code == 200
    assert (await client.get(f"/candidates/{second_ref}", headers=service_b)).status_code == 404
    again = await client.post(
        "/nominations",
        json={"victim_ref": unsupported.victim_ref, "support_worker_ref": "sw-b2"},
        headers=service_b,
    )
    assert again.json() == {"participant_ref": None, "status": None}


async def test_a_flag_waits_for_its_case_to_close_and_its_team_is_audited(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants)
    team = fresh("team")
    flagged_case = fresh("case")
    flag = {"victim_ref": case.victim_ref, "case_ref": flagged_case, "team_ref": team}
    assert (
        await client.post("/flags", json=flag, headers=headers(participants, Role.STAFF))
    ).status_code == 202
    row = await candidate_row(engine, case.victim_ref)
    assert (row.status, row.reason_codes) == ("pending", ["case_not_known"])
    async with engine.connect() as conn:
        reasons = (
            await conn.scalars(
                sa.select(audit.c.reason).where(
                    audit.c.subject_ref == ref, audit.c.action == "flag"
                )
            )
        ).all()
    assert len(reasons) == 1 and f"of team {team}" in reasons[0]

    # The flagged case closes: the victim is screened on both cases.
    await a_candidate(participants, victim_ref=case.victim_ref, case_ref=flagged_case)
    row = await candidate_row(engine, case.victim_ref)
    assert (row.status, row.participant_ref) == ("identified", ref)
    assert sorted(row.sources) == ["force_case", "staff_flag"]


async def test_a_coordinators_reason_is_a_code_and_goes_to_the_audit_log_only(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    approach = {"via": "support_worker", "by_ref": case.support_worker_ref}
    # The audit log outlives erasure: a reason is a code, never the coordinator's own words.
    free_text = await client.post(
        f"/candidates/{ref}/approach",
        json={**approach, "reason": "met at the support group"},
        headers=coordinator,
    )
    assert free_text.status_code == 422
    assert free_text.json()["detail"][0]["loc"] == ["body", "reason"]
    said = {"approach": "support_worker_advice", "decline": "victim_request"}
    for step, body in [("approach", approach), ("decline", {})]:
        done = await client.post(
            f"/candidates/{ref}/{step}", json={**body, "reason": said[step]}, headers=coordinator
        )
        assert done.status_code == 200, (step, done.text)
    async with engine.connect() as conn:
        audited = set(
            (
                await conn.scalars(
                    sa.select(audit.c.reason).where(
                        audit.c.subject_ref == ref, audit.c.action.like("%->%")
                    )
                )
            ).all()
        )
        payloads = (
            await conn.scalars(sa.select(BUS.outbox.c.payload).where(BUS.outbox.c.key == ref))
        ).all()
    assert f"approach recorded: {said['approach']}" in audited
    assert f"decline recorded: {said['decline']}" in audited
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator)).text
    published = b"".join(payloads).decode()
    for words in said.values():
        assert words not in detail and words not in published


async def test_an_entry_listed_by_victim_ref_can_be_taken_off_by_its_id(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    case = a_closed_case()
    coordinator = headers(participants, Role.COORDINATOR)
    listed = await client.post(
        "/do-not-contact", json={"victim_ref": case.victim_ref}, headers=coordinator
    )
    assert listed.status_code == 201
    async with participants.runtime.units_of_work() as uow:
        entry_id = participants.services.repository(uow).do_not_contact.digest(
            "victim", case.victim_ref
        )
    entries = (await client.get("/do-not-contact?limit=500", headers=coordinator)).json()
    assert entry_id in {entry["entry_id"] for entry in entries}

    removed = await client.delete(f"/do-not-contact/entries/{entry_id}", headers=coordinator)
    assert removed.status_code == 204, removed.text
    entries = (await client.get("/do-not-contact?limit=500", headers=coordinator)).json()
    assert entry_id not in {entry["entry_id"] for entry in entries}
    again = await client.delete(f"/do-not-contact/entries/{entry_id}", headers=coordinator)
    assert again.status_code == 404
    bad = await client.delete("/do-not-contact/entries/not-a-digest", headers=coordinator)
    assert bad.status_code == 422

    # Off the list: the force's case brings the victim forward.
    await a_candidate(participants, victim_ref=case.victim_ref)
    assert (await candidate_row(engine, case.victim_ref)).status == "identified"
    async with engine.connect() as conn:
        actions = (
            await conn.scalars(
                sa.select(audit.c.action).where(audit.c.subject_ref == f"do-not-contact:{entry_id}")
            )
        ).all()
    assert "do_not_contact:remove" in actions


async def test_a_withdrawals_entry_stays_on_the_list(
    participants: Participants, client: httpx.AsyncClient
) -> None:
    ref, case = await a_candidate(participants)
    coordinator = headers(participants, Role.COORDINATOR)
    for step, body in [
        ("approach", {"via": "support_worker", "by_ref": case.support_worker_ref}),
        ("withdraw", None),
    ]:
        done = await client.post(f"/candidates/{ref}/{step}", json=body, headers=coordinator)
        assert done.status_code == 200, (step, done.text)
    async with participants.runtime.units_of_work() as uow:
        entry_id = participants.services.repository(uow).do_not_contact.digest(
            "victim", case.victim_ref
        )
    kept = await client.delete(f"/do-not-contact/entries/{entry_id}", headers=coordinator)
    assert kept.status_code == 409, kept.text
    entries = (await client.get("/do-not-contact?limit=500", headers=coordinator)).json()
    [entry] = [entry for entry in entries if entry["entry_id"] == entry_id]
    assert entry["reason_code"] == "consent_withdrawn"
