"""One victim = one candidate: a self-referrer whose claimed case the force closes becomes the
victim's candidate, or is merged into the one the victim has (real Kafka and PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from participants_builders import (
    a_closed_case,
    bearer,
    candidate_row,
    eventually,
    fresh,
    referred_candidate,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_participants.adapters.tables import (
    BUS,
    audit,
    candidates,
    do_not_contact,
    history,
    self_referrals,
    subject_keys,
)
from vfp_participants.bootstrap import Participants
from vfp_participants.domain.model import Approach, Candidate, ExclusionReason, Status
from vfp_participants.domain.screening import Decision, Verdict
from vfp_shared.auth import Role
from vfp_shared.contracts import CandidateExcludedV1, CaseClosedV1, ConsentWithdrawnV1
from vfp_shared.contracts.vocabulary import CandidateSource, ContactRoute
from vfp_shared.testing import TopicReader, envelope, publish

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def coordinator(participants: Participants) -> dict[str, str]:
    return bearer(participants.runtime.settings, Role.COORDINATOR)


async def close(participants: Participants, case: CaseClosedV1) -> None:
    """The force's closure through the service's own handler."""
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(case))
        await uow.commit()


async def self_refer(
    client: httpx.AsyncClient, engine: AsyncEngine, case_ref: str, **extra: Any
) -> tuple[str, str]:
    name = f"Imogen {fresh('Vantreece')}"
    body = {"name": name, "email": f"{fresh('i')}@example.org", "case_ref": case_ref, **extra}
    referred = await client.post("/self-referrals", json=body)
    assert referred.status_code == 202, referred.text
    return await referred_candidate(engine, case_ref), name


async def count(engine: AsyncEngine, table: sa.Table, where: Any) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(where))
        return int(found or 0)


async def candidates_of(engine: AsyncEngine, case: CaseClosedV1) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                sa.select(candidates).where(
                    sa.or_(
                        candidates.c.victim_ref == case.victim_ref,
                        candidates.c.claimed_case_ref == case.case_ref,
                    )
                )
            )
        )


async def test_a_self_referrer_becomes_the_victims_candidate_when_the_force_closes_their_case(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    case = a_closed_case()
    ref, name = await self_refer(client, engine, case.case_ref)
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    await publish(bootstrap, [case])  # over the bus: the consumer pre-takes the batch's locks
    row = await eventually(lambda: candidate_row(engine, case.victim_ref), what="attached")
    assert row.participant_ref == ref
    assert [r.participant_ref for r in await candidates_of(engine, case)] == [ref]
    assert row.sources == ["self_referral", "force_case"]
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator(participants))).json()
    # Now the force knows the victim, the self-referral is a claim to confirm through the
    # support worker, who is the one to contact them.
    assert (detail["status"], detail["contact_route"], detail["supporter_ref"]) == (
        "identified",
        "support_worker",
        case.support_worker_ref,
    )
    claims = [h["detail"] for h in detail["history"] if h["kind"] == "attach"]
    assert claims == [{"claim": "to_confirm"}]
    assert detail["self_referral"]["name"] == name


async def test_a_self_referral_after_the_closure_goes_to_the_victims_candidate(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    case = a_closed_case()
    await close(participants, case)
    force_ref = (await candidate_row(engine, case.victim_ref)).participant_ref
    ref, name = await self_refer(client, engine, case.case_ref, age_band="child")
    assert ref == force_ref
    [row] = await candidates_of(engine, case)
    assert (row.sources, row.declared_child) == (["force_case", "self_referral"], True)
    detail = (await client.get(f"/candidates/{ref}", headers=coordinator(participants))).json()
    assert detail["self_referral"]["name"] == name
    assert detail["child"] is True


async def test_a_merged_self_referral_is_resealed_and_withdrawal_erases_everything_of_both(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    # The victim refers themself about another case of theirs, not yet closed.
    second = a_closed_case(victim_ref=first.victim_ref, sexual_offence=True)
    claimer, name = await self_refer(
        client, engine, second.case_ref, themes=["violence_against_women_and_girls"]
    )
    assert claimer != victims_ref
    await close(participants, second)

    assert await count(engine, candidates, candidates.c.participant_ref == claimer) == 0
    assert await count(engine, history, history.c.participant_ref == claimer) == 0
    assert await count(engine, subject_keys, subject_keys.c.subject_ref == claimer) == 0
    assert await count(engine, self_referrals, self_referrals.c.participant_ref == claimer) == 0
    row = await candidate_row(engine, first.victim_ref)
    assert (row.sources, row.declared_themes) == (
        ["force_case", "self_referral"],
        ["violence_against_women_and_girls"],
    )
    headers = coordinator(participants)
    detail = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert detail["self_referral"]["name"] == name  # sealed again under the victim's key
    assert [h["kind"] for h in detail["history"]][-2:] == ["merge", "screening"]

    for step, body in [
        ("approach", {"via": "support_worker", "by_ref": detail["supporter_ref"]}),
        ("withdraw", None),
    ]:
        done = await client.post(f"/candidates/{victims_ref}/{step}", json=body, headers=headers)
        assert done.status_code == 200, (step, done.text)
    for ref in (victims_ref, claimer):
        assert await count(engine, subject_keys, subject_keys.c.subject_ref == ref) == 0
        assert await count(engine, self_referrals, self_referrals.c.participant_ref == ref) == 0
    async with engine.connect() as conn:
        dumped = "\n".join(
            (await conn.execute(sa.text("SELECT t::text FROM participants.candidates t"))).scalars()
        )
        cases = await conn.scalar(
            sa.text("SELECT count(*) FROM participants.cases WHERE victim_ref = :v"),
            {"v": first.victim_ref},
        )
    assert first.victim_ref not in dumped and second.case_ref not in dumped and cases == 0


async def test_a_self_referrers_do_not_contact_entry_follows_them_to_the_victims_candidate(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    second = a_closed_case(victim_ref=first.victim_ref)
    claimer, _ = await self_refer(client, engine, second.case_ref)
    headers = coordinator(participants)
    listed = await client.post(
        "/do-not-contact",
        json={"participant_ref": claimer, "reason_code": "victim_asked_not_to_be_contacted"},
        headers=headers,
    )
    assert listed.status_code == 201
    await close(participants, second)
    detail = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert (detail["status"], detail["reason_codes"]) == ("excluded", ["do_not_contact"])
    entries = (await client.get("/do-not-contact?limit=500", headers=headers)).json()
    refs = [e["participant_ref"] for e in entries]
    assert victims_ref in refs and claimer not in refs


async def test_an_announced_duplicate_is_excluded_and_its_further_lifecycle_carried_over(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A self-referrer already approached as a candidate of their own (as before merging)."""
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    second = a_closed_case(victim_ref=first.victim_ref)
    claimer, _ = await self_refer(client, engine, second.case_ref)
    approached_at = datetime.now(UTC) - timedelta(days=1)
    approach = {"via": "direct", "by_ref": "coordinator-1", "at": approached_at.isoformat()}
    async with engine.begin() as conn:
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref == claimer)
            .values(
                status="approached",
                contact_route="direct",
                approach=approach,
                last_approached_at=approached_at,
            )
        )
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, CandidateExcludedV1.TOPIC) as reader:
        await close(participants, second)
        [excluded] = await reader.events(lambda e: e.data.participant_ref == claimer, count=1)
    assert excluded.data.reason_codes == ["merged_duplicate"]
    headers = coordinator(participants)
    gone = (await client.get(f"/candidates/{claimer}", headers=headers)).json()
    assert (gone["status"], gone["reason_codes"], gone["self_referral"]) == (
        "excluded",
        ["merged_duplicate"],
        None,
    )
    kept = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    # The approach that happened is carried over; who is contacted next is not changed.
    assert (kept["status"], kept["approach"]["via"]) == ("approached", "direct")
    assert (kept["contact_route"], kept["supporter_ref"]) == (
        "support_worker",
        first.support_worker_ref,
    )


@pytest.mark.parametrize(
    ("supported", "route"), [(True, "support_worker"), (False, "officer_in_case")]
)
async def test_a_strangers_self_referral_about_a_force_case_changes_nobody_contacted(
    participants: Participants,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    supported: bool,
    route: str,
) -> None:
    """Anyone who knows a crime reference can self-refer about it (in a domestic-abuse case,
    the perpetrator): the approach still goes through the worker or the officer, and the
    details the victim's candidate holds stay as they were."""
    worker = {} if supported else {"support_service_ref": None, "support_worker_ref": None}
    case = a_closed_case(**worker)
    await close(participants, case)
    victims_ref = (await candidate_row(engine, case.victim_ref)).participant_ref
    headers = coordinator(participants)
    before = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert (before["contact_route"], before["status"]) == (route, "identified")
    _, victims_name = await self_refer(client, engine, case.case_ref)

    _, strangers_name = await self_refer(
        client, engine, case.case_ref, themes=["minority_communities"], age_band="child"
    )

    after = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert (after["status"], after["contact_route"], after["supporter_ref"]) == (
        "identified",
        route,
        before["supporter_ref"],
    )
    assert after["self_referral"]["name"] == victims_name != strangers_name
    merges = [h for h in after["history"] if h["kind"] == "merge"]
    assert [m["detail"]["claim"] for m in merges] == ["to_confirm", "to_confirm"]
    # A claim may add to what is known (a theme, a child), never take away.
    assert set(after["themes"]) >= set(before["themes"]) and after["child"] is True
    direct = await client.post(
        f"/candidates/{victims_ref}/approach",
        json={"via": "direct", "by_ref": "coordinator-1"},
        headers=headers,
    )
    assert direct.status_code == 422 and direct.json()["detail"][0]["loc"] == ["body", "via"]


# --- a merged self-referrer other services heard of goes with the victim's candidate ---------


async def further_along(engine: AsyncEngine, ref: str, status: str, **values: Any) -> None:
    """A claimer already further along as a candidate of their own (as in the announced
    duplicate's test above), so other services heard of them: `approached` directly, or
    `consented` after it."""
    at = datetime.now(UTC) - timedelta(days=1)
    approach = {"via": "direct", "by_ref": "coordinator-1", "at": at.isoformat()}
    consent = {
        "mode": "live",
        "scopes": ["take_part"],
        "case_study_team_refs": [],
        "praise_officer_refs": [],
        "guardian_consent": False,
        "given_at": at.isoformat(),
    }
    async with engine.begin() as conn:
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref == ref)
            .values(
                status=status,
                contact_route="direct",
                approach=approach,
                last_approached_at=at,
                consent=consent if status == "consented" else None,
                **values,
            )
        )


async def merged_into(engine: AsyncEngine, ref: str) -> str | None:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(candidates.c.merged_into).where(candidates.c.participant_ref == ref)
        )
    return None if found is None else str(found)


async def erased(engine: AsyncEngine, ref: str) -> bool:
    """Nothing of the candidate is left here: its row, history, key or sealed self-referral."""
    return not any(
        [
            await count(engine, candidates, candidates.c.participant_ref == ref),
            await count(engine, history, history.c.participant_ref == ref),
            await count(engine, subject_keys, subject_keys.c.subject_ref == ref),
            await count(engine, self_referrals, self_referrals.c.participant_ref == ref),
        ]
    )


async def withdrawn_events(engine: AsyncEngine, ref: str) -> int:
    """The consent-withdrawn events queued for `ref` (the outbox, keyed by participant)."""
    where = sa.and_(BUS.outbox.c.key == ref, BUS.outbox.c.topic == ConsentWithdrawnV1.TOPIC)
    return await count(engine, BUS.outbox, where)


async def sweep(participants: Participants, client: httpx.AsyncClient) -> None:
    operator = bearer(participants.runtime.settings, Role.OPERATOR)
    swept = await client.post("/screening/sweep", headers=operator)
    assert swept.status_code == 200, swept.text


async def long_ago(engine: AsyncEngine, *refs: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref.in_(refs))
            .values(updated_at=sa.text("now() - interval '3 years'"))
        )


async def test_withdrawal_erases_a_consented_self_referrer_merged_into_the_victims_candidate(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Other services may hold what the victim gave under the claimer's ref (invitations,
    testimonies, answers, consent): the victim's withdrawal reaches them too."""
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    second = a_closed_case(victim_ref=first.victim_ref)
    claimer, name = await self_refer(client, engine, second.case_ref)
    await further_along(engine, claimer, "consented")
    await close(participants, second)
    assert await merged_into(engine, claimer) == victims_ref
    headers = coordinator(participants)
    kept = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert (kept["status"], kept["self_referral"]["name"]) == ("consented", name)

    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentWithdrawnV1.TOPIC) as reader:
        done = await client.post(f"/candidates/{victims_ref}/withdraw", headers=headers)
        assert done.status_code == 200, done.text
        refs = {victims_ref, claimer}
        withdrawn = await reader.events(lambda e: e.data.participant_ref in refs, count=2)
    assert sorted(e.data.participant_ref for e in withdrawn) == sorted(refs)

    assert await erased(engine, claimer)
    assert (await client.get(f"/candidates/{claimer}", headers=headers)).status_code == 404
    erasure = sa.and_(audit.c.subject_ref == claimer, audit.c.action == "erase")
    assert await count(engine, audit, erasure) == 1
    assert await withdrawn_events(engine, claimer) == 1
    after = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert (after["status"], after["self_referral"]) == ("withdrawn", None)


async def test_the_retention_purge_takes_a_merged_self_referrer_only_with_the_victims_candidate(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    victims_ref, claimer = await merged_pair(participants, client, engine, "approached")
    headers = coordinator(participants)
    declined = await client.post(f"/candidates/{victims_ref}/decline", headers=headers)
    assert declined.status_code == 200, declined.text
    # The claimer's exclusion is past retention; the victim's decline is recent.
    await long_ago(engine, claimer)

    await sweep(participants, client)

    assert await count(engine, candidates, candidates.c.participant_ref == claimer) == 1
    assert await withdrawn_events(engine, claimer) == 0

    await long_ago(engine, victims_ref)
    await sweep(participants, client)

    assert await erased(engine, victims_ref) and await erased(engine, claimer)
    # Nobody consented: nothing to withdraw for the victim's candidate; the claimer's ref was
    # heard of elsewhere, so its erasure is announced.
    assert await withdrawn_events(engine, victims_ref) == 0
    assert await withdrawn_events(engine, claimer) == 1
    purged = sa.and_(
        audit.c.subject_ref == claimer,
        audit.c.action == "retention:purge",
        audit.c.actor == "system",
    )
    assert await count(engine, audit, purged) == 1


async def test_a_merged_self_referrer_whose_candidate_is_gone_is_purged_and_withdrawn(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """E.g. merged into a candidate purged before the link was kept (the migration takes the
    link from the merge's audit line, naming a candidate gone by then)."""
    _, claimer = await merged_pair(participants, client, engine, "approached")
    await link(engine, claimer, fresh("gone"))
    await long_ago(engine, claimer)

    await sweep(participants, client)

    assert await erased(engine, claimer)
    assert await withdrawn_events(engine, claimer) == 1


async def merged_pair(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine, status: str
) -> tuple[str, str]:
    """The victim's candidate and a self-referrer kept merged into it (`status` as a candidate
    of its own before the merge, so other services heard of it)."""
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    second = a_closed_case(victim_ref=first.victim_ref)
    claimer, _ = await self_refer(client, engine, second.case_ref)
    await further_along(engine, claimer, status)
    await close(participants, second)
    assert await merged_into(engine, claimer) == victims_ref
    return victims_ref, claimer


async def link(engine: AsyncEngine, ref: str, into: str | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            candidates.update().where(candidates.c.participant_ref == ref).values(merged_into=into)
        )


@pytest.mark.parametrize("victims_past_retention", [False, True])
async def test_a_merged_self_referrer_linked_to_a_withdrawn_candidate_is_erased_at_the_next_sweep(
    participants: Participants,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    victims_past_retention: bool,
) -> None:
    """The victim withdrew before the link was kept, so the duplicate stayed; migration 0002
    then backfills its link to the withdrawn candidate. What other services hold under its ref
    should have gone with that withdrawal: the next sweep erases it, however recent, without
    waiting for the withdrawn candidate's own purge (which is as before). When that candidate
    is due in the same pass too, the duplicate is still erased and announced once."""
    victims_ref, claimer = await merged_pair(participants, client, engine, "approached")
    await link(engine, claimer, None)  # as before the link was kept
    headers = coordinator(participants)
    done = await client.post(f"/candidates/{victims_ref}/withdraw", headers=headers)
    assert done.status_code == 200, done.text
    assert await withdrawn_events(engine, claimer) == 0
    await link(engine, claimer, victims_ref)  # as migration 0002 backfills it
    if victims_past_retention:
        await long_ago(engine, victims_ref)  # both due in the same pass: erased once

    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    async with TopicReader(bootstrap, ConsentWithdrawnV1.TOPIC) as reader:
        await sweep(participants, client)
        await reader.events(lambda e: e.data.participant_ref == claimer, count=1)

    assert await erased(engine, claimer)
    assert await withdrawn_events(engine, claimer) == 1
    purged = sa.and_(audit.c.subject_ref == claimer, audit.c.action == "retention:purge")
    assert await count(engine, audit, purged) == 1
    victims_purge = sa.and_(audit.c.subject_ref == victims_ref, audit.c.action == "retention:purge")
    if not victims_past_retention:
        kept = await client.get(f"/candidates/{victims_ref}", headers=headers)
        assert kept.status_code == 200 and kept.json()["status"] == "withdrawn"
        assert await count(engine, audit, victims_purge) == 0
        await long_ago(engine, victims_ref)
        await sweep(participants, client)
    assert await erased(engine, victims_ref)
    assert await count(engine, audit, victims_purge) == 1
    assert await withdrawn_events(engine, claimer) == 1
    assert await withdrawn_events(engine, victims_ref) == 1  # its own withdrawal's


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/candidates/{ref}/withdraw", None),
        ("POST", "/candidates/{ref}/exclude", {"reason_code": "not_suitable_for_panel"}),
        (
            "POST",
            "/do-not-contact",
            {"participant_ref": "{ref}", "reason_code": "victim_asked_not_to_be_contacted"},
        ),
        ("DELETE", "/do-not-contact/{ref}", None),
    ],
)
async def test_a_change_addressed_to_a_merged_self_referrer_is_refused_naming_the_victims_one(
    participants: Participants,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    """The victim's consent and contact went to their candidate with the merge: withdrawing or
    listing the duplicate would erase or list it alone, and leave the consent it gave in place.
    The coordinator is told which candidate to act on; the duplicate stays readable."""
    victims_ref, claimer = await merged_pair(participants, client, engine, "consented")
    headers = coordinator(participants)
    before = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert before["status"] == "consented"
    queued = BUS.outbox.c.key.in_([victims_ref, claimer])
    events_before = await count(engine, BUS.outbox, queued)
    listed = do_not_contact.c.participant_ref.in_([victims_ref, claimer])
    listed_before = await count(engine, do_not_contact, listed)
    if body is not None:
        body = {k: v.format(ref=claimer) for k, v in body.items()}

    refused = await client.request(method, path.format(ref=claimer), json=body, headers=headers)

    assert refused.status_code == 409, refused.text
    assert refused.json()["merged_into"] == victims_ref
    assert f"merged into candidate {victims_ref}" in refused.json()["detail"]
    after = (await client.get(f"/candidates/{victims_ref}", headers=headers)).json()
    assert after == before
    assert await count(engine, BUS.outbox, queued) == events_before
    assert await count(engine, do_not_contact, listed) == listed_before
    duplicate = await client.get(f"/candidates/{claimer}", headers=headers)
    assert duplicate.status_code == 200, duplicate.text
    assert (duplicate.json()["status"], duplicate.json()["reason_codes"]) == (
        "excluded",
        ["merged_duplicate"],
    )


@pytest.mark.parametrize("middle_status", ["approached", "pending"])
async def test_a_self_referrer_merged_into_one_merged_in_turn_goes_with_the_last(
    participants: Participants, client: httpx.AsyncClient, engine: AsyncEngine, middle_status: str
) -> None:
    """A chain no flow makes today (a claimer is only merged into a victim's candidate, never
    merged itself): the link is moved on, so the victim's withdrawal still reaches the first.
    The middle one is kept (approached: others heard of it) or deleted (pending)."""
    first = a_closed_case()
    await close(participants, first)
    victims_ref = (await candidate_row(engine, first.victim_ref)).participant_ref
    second = a_closed_case(victim_ref=first.victim_ref)
    middle, _ = await self_refer(client, engine, second.case_ref)
    earliest, _ = await self_refer(client, engine, fresh("case"))
    async with engine.begin() as conn:  # as if kept when merged into the middle one
        await conn.execute(
            candidates.update()
            .where(candidates.c.participant_ref == earliest)
            .values(
                status="excluded",
                reason_codes=["merged_duplicate"],
                claimed_case_ref=None,
                merged_into=middle,
            )
        )
    if middle_status == "approached":
        await further_along(engine, middle, "approached")

    await close(participants, second)

    assert await merged_into(engine, earliest) == victims_ref
    kept = middle_status == "approached"
    assert await merged_into(engine, middle) == (victims_ref if kept else None)
    headers = coordinator(participants)
    if not kept:
        supporter = {"via": "support_worker", "by_ref": first.support_worker_ref}
        approached = await client.post(
            f"/candidates/{victims_ref}/approach", json=supporter, headers=headers
        )
        assert approached.status_code == 200, approached.text
    bootstrap = participants.runtime.settings.kafka_bootstrap_servers
    refs = {victims_ref, earliest, *([middle] if kept else [])}
    async with TopicReader(bootstrap, ConsentWithdrawnV1.TOPIC) as reader:
        done = await client.post(f"/candidates/{victims_ref}/withdraw", headers=headers)
        assert done.status_code == 200, done.text
        withdrawn = await reader.events(lambda e: e.data.participant_ref in refs, count=len(refs))
    assert sorted(e.data.participant_ref for e in withdrawn) == sorted(refs)
    assert await erased(engine, earliest) and await erased(engine, middle)


# --- the merge rule, as plain logic ----------------------------------------------------------


def a_candidate(ref: str, status: Status, **changes: Any) -> Candidate:
    return Candidate(ref, status, (CandidateSource.FORCE_CASE,), **changes)


@pytest.mark.parametrize(
    ("victims", "claimers", "kept"),
    [
        (Status.IDENTIFIED, Status.APPROACHED, Status.APPROACHED),
        (Status.APPROACHED, Status.CONSENTED, Status.CONSENTED),
        (Status.CONSENTED, Status.APPROACHED, Status.CONSENTED),
        (Status.APPROACHED, Status.DECLINED, Status.APPROACHED),
        (Status.NO_RESPONSE, Status.DECLINED, Status.DECLINED),
        (Status.DEFERRED, Status.IDENTIFIED, Status.DEFERRED),  # screening settles these
    ],
)
def test_the_merged_candidate_keeps_the_status_further_along(
    victims: Status, claimers: Status, kept: Status
) -> None:
    into = a_candidate("p-1", victims)
    into.absorb(a_candidate("p-2", claimers, contact_route=ContactRoute.DIRECT), NOW)
    assert into.status is kept
    assert into.history[-1].kind == "merge"


def test_a_coordinators_exclusion_stands_unless_it_was_for_being_a_duplicate() -> None:
    excluded = a_candidate("p-2", Status.EXCLUDED, reason_codes=("safeguarding_concern",))
    into = a_candidate("p-1", Status.CONSENTED)
    into.absorb(excluded, NOW)
    assert (into.status, into.reason_codes) == (Status.EXCLUDED, ("safeguarding_concern",))
    duplicate = a_candidate("p-2", Status.EXCLUDED, reason_codes=(ExclusionReason.DUPLICATE,))
    into = a_candidate("p-1", Status.IDENTIFIED)
    into.absorb(duplicate, NOW)
    assert into.status is Status.IDENTIFIED


def test_a_victim_excluded_as_a_duplicate_is_screened_again_once_the_duplicate_is_merged() -> None:
    """Else the victim would stay excluded for good: the duplicate is gone after the merge."""
    into = a_candidate("p-1", Status.EXCLUDED, reason_codes=(ExclusionReason.DUPLICATE.value,))
    into.absorb(a_candidate("p-2", Status.PENDING), NOW)
    assert (into.status, into.reason_codes) == (Status.PENDING, ())
    assert into.history[-1].from_status is Status.EXCLUDED
    identified = Decision(Verdict.IDENTIFIED, (), "test+0")
    into.apply_screening(identified, NOW, sourcing=True)
    assert into.status is Status.IDENTIFIED
    assert [type(e).__name__ for e in into.events] == ["CandidateIdentified"]
    # Another coordinator's exclusion still stands.
    kept = a_candidate("p-1", Status.EXCLUDED, reason_codes=("not_suitable_for_panel",))
    kept.absorb(a_candidate("p-2", Status.PENDING), NOW)
    assert kept.status is Status.EXCLUDED


def test_a_merge_never_changes_who_is_contacted() -> None:
    into = a_candidate(
        "p-1",
        Status.IDENTIFIED,
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref="sw-1",
        safeguarding=True,
        child=True,
    )
    claimer = a_candidate(
        "p-2", Status.APPROACHED, contact_route=ContactRoute.DIRECT, supporter_ref=None
    )
    into.absorb(claimer, NOW)
    assert into.status is Status.APPROACHED
    assert (into.contact_route, into.supporter_ref) == (ContactRoute.SUPPORT_WORKER, "sw-1")
    assert (into.safeguarding, into.child) == (True, True)
    assert into.history[-1].detail == {"merged": "self_referral", "claim": "to_confirm"}


def test_taking_over_an_approach_announces_the_victims_candidate() -> None:
    approached = a_candidate(
        "p-2",
        Status.APPROACHED,
        contact_route=ContactRoute.DIRECT,
        approach=Approach(ContactRoute.DIRECT, "coordinator-1", NOW),
        last_approached_at=NOW,
    )
    into = a_candidate("p-1", Status.PENDING)
    into.absorb(approached, NOW)
    assert (into.status, into.last_approached_at) == (Status.APPROACHED, NOW)
    assert [type(e).__name__ for e in into.events] == ["CandidateIdentified"]
