"""Sourcing and screening: force events, nominations, flags and self-referrals bring victims
forward; every change to what we know re-screens the candidates it concerns."""

import json
from copy import copy

import sqlalchemy as sa

from vfp_participants.adapters.repository import CandidateRecord
from vfp_participants.adapters.tables import self_referrals
from vfp_participants.domain.screening import nomination_accepted, screen
from vfp_participants.service_layer.commands import (
    FlagVictim,
    NominateClient,
    RecordCaseClosure,
    RecordCaseReopening,
    RecordComplaint,
    SelfRefer,
)
from vfp_participants.service_layer.merging import merge_claimers
from vfp_participants.service_layer.unit import (
    SYSTEM,
    Actor,
    Services,
    lock_victim,
    store,
    write_audit,
)
from vfp_shared.contracts.vocabulary import AgeBand, CandidateSource
from vfp_shared.storage.unit_of_work import UnitOfWork


async def rescreen(
    uow: UnitOfWork,
    services: Services,
    record: CandidateRecord,
    *,
    why: str,
    sourcing: bool,
    actor: Actor = SYSTEM,
    listed: dict[str, bool] | None = None,
    batched: bool = False,
) -> None:
    """Screen one (locked) candidate again and store the outcome if anything changed.
    `listed`: do-not-contact answers already known in this call, by digest."""
    repository = services.repository(uow)
    before = copy(record.candidate)
    now = services.clock()
    decision = screen(await repository.facts(record, listed=listed), services.policy, now)
    record.candidate.apply_screening(decision, now, sourcing=sourcing)
    if record.candidate != before or record.candidate.history:
        await store(uow, services, record, actor=actor, why=why, batched=batched)


async def _victim_is_listed_without_candidate(
    uow: UnitOfWork, services: Services, victim_ref: str
) -> bool:
    """A victim on the do-not-contact list (or who withdrew) is not sourced again. Asked under
    the victim's lock (held to the end), so a withdrawal cannot commit before the sourcing."""
    digest = await lock_victim(uow, services, victim_ref)
    repository = services.repository(uow)
    listed = await repository.do_not_contact.contains(digest)
    return listed and not await repository.for_victim_or_case(victim_ref, None)


async def _source_victim(
    uow: UnitOfWork,
    services: Services,
    victim_ref: str,
    source: CandidateSource,
    *,
    case_ref: str | None,
    new_route: bool,
    why: str,
    actor: Actor,
    listed: dict[str, bool] | None = None,
    batched: bool = False,
) -> list[CandidateRecord]:
    """Upsert the victim's candidate (a self-referrer claiming `case_ref` becomes it, or is
    merged into it) and screen it (and others claiming `case_ref`).
    Only a route new to the victim (`new_route`: a new case; or a source they did not have)
    may bring a declined or unanswered candidate forward again: a re-sent event must not."""
    repository = services.repository(uow)
    found = await repository.ensure_for_victim_or_case(victim_ref, source, case_ref)
    # No statement here unless a self-referrer claims the case (then merged: one candidate).
    found = await merge_claimers(
        uow, services, victim_ref, source, found, listed=listed, batched=batched
    )
    for record, new_source in found:
        await rescreen(
            uow,
            services,
            record,
            why=why,
            sourcing=new_route or new_source,
            actor=actor,
            listed=listed,
            batched=batched,
        )
    return [record for record, _ in found]


async def record_case_closure(
    uow: UnitOfWork, services: Services, cmd: RecordCaseClosure, *, batched: bool = False
) -> None:
    """A victim on the do-not-contact list (or who withdrew) without a candidate is not sourced
    again (nor is the closure recorded): checked and recorded in one statement, under the
    victim's lock (the case's first: see `Services.case_lock`)."""
    await uow.lock_many([services.case_lock(cmd.case_ref), services.victim_lock(cmd.victim_ref)])
    digest = services.victim_digest(cmd.victim_ref)
    repository = services.repository(uow)
    closure = await repository.record_closure_unless_listed(
        {
            "case_ref": cmd.case_ref,
            "victim_ref": cmd.victim_ref,
            "oic_ref": cmd.oic_ref,
            "themes": sorted(cmd.themes),
            "justice_status": cmd.justice_status.value,
            "closed_at": cmd.closed_at,
            "child": cmd.age_band is AgeBand.CHILD,
            "support_service_ref": cmd.support_service_ref,
            "support_worker_ref": cmd.support_worker_ref,
            "safeguarding": cmd.safeguarding,
        },
        digest,
    )
    if closure.listed and not closure.has_candidate:
        return
    await _source_victim(
        uow,
        services,
        cmd.victim_ref,
        CandidateSource.FORCE_CASE,
        case_ref=cmd.case_ref,
        new_route=closure.new_case,
        why="force.case-closed",
        actor=SYSTEM,
        listed={digest: closure.listed},
        batched=batched,
    )


async def _case_news(
    uow: UnitOfWork, services: Services, case_ref: str, why: str, *, batched: bool
) -> None:
    repository = services.repository(uow)
    victim_ref = await repository.victim_of(case_ref)
    for record in await repository.for_victim_or_case(victim_ref, case_ref):
        await rescreen(uow, services, record, why=why, sourcing=False, batched=batched)


async def record_case_reopening(
    uow: UnitOfWork, services: Services, cmd: RecordCaseReopening, *, batched: bool = False
) -> None:
    await services.repository(uow).record_reopening(cmd.case_ref, cmd.reopened_at)
    await _case_news(uow, services, cmd.case_ref, "force.case-reopened", batched=batched)


async def record_complaint(
    uow: UnitOfWork, services: Services, cmd: RecordComplaint, *, batched: bool = False
) -> None:
    await services.repository(uow).record_complaint(
        cmd.case_ref, cmd.complaint_ref, resolved=cmd.resolved
    )
    why = "force.complaint-resolved" if cmd.resolved else "force.complaint-opened"
    await _case_news(uow, services, cmd.case_ref, why, batched=batched)


async def nominate_client(
    uow: UnitOfWork,
    services: Services,
    cmd: NominateClient,
    *,
    actor: Actor = SYSTEM,
    batched: bool = False,
) -> CandidateRecord | None:
    """A commissioned service puts a client forward; None when the victim may not be sourced.
    A nomination never takes a victim from the service already supporting them: it is only
    noted in their history, and changes nothing else."""
    if await _victim_is_listed_without_candidate(uow, services, cmd.victim_ref):
        return None
    repository = services.repository(uow)
    for record in await repository.for_victim_or_case(cmd.victim_ref, None):
        facts = await repository.facts(record)
        if not nomination_accepted(facts, record.candidate.support_service_ref, cmd.service_ref):
            # The supporting service reads this history: which other service also knows the
            # victim would tell it something about them, so that goes to the audit log only.
            record.candidate.note(
                "nomination_ignored", services.clock(), {"reason": "supported_by_another_service"}
            )
            why = "support.client-nominated: ignored"
            await store(uow, services, record, actor=actor, why=why, batched=batched)
            ref = record.candidate.participant_ref
            by = f"support.client-nominated by {cmd.service_ref}"
            await write_audit(uow, actor, "nomination:ignored", ref, by, batched=batched)
            return record
    new_source = await repository.ensure_for_victim(
        cmd.victim_ref, CandidateSource.SUPPORT_NOMINATION
    )
    await repository.record_nomination(
        cmd.victim_ref, cmd.service_ref, cmd.support_worker_ref, cmd.age_band is AgeBand.CHILD
    )
    new_case = cmd.case_ref is not None and await repository.link_case(cmd.case_ref, cmd.victim_ref)
    records = await _source_victim(
        uow,
        services,
        cmd.victim_ref,
        CandidateSource.SUPPORT_NOMINATION,
        case_ref=None,
        new_route=new_source or new_case,
        why="support.client-nominated",
        actor=actor,
        batched=batched,
    )
    return records[0] if records else None


async def flag_victim(
    uow: UnitOfWork,
    services: Services,
    cmd: FlagVictim,
    *,
    actor: Actor = SYSTEM,
    batched: bool = False,
) -> CandidateRecord | None:
    """Staff flag a victim about one of their cases: that case must be known closed before the
    victim is screened. Who flagged (and their team) goes in the audit log."""
    if await _victim_is_listed_without_candidate(uow, services, cmd.victim_ref):
        return None
    new_case = await services.repository(uow).link_case(cmd.case_ref, cmd.victim_ref)
    records = await _source_victim(
        uow,
        services,
        cmd.victim_ref,
        CandidateSource.STAFF_FLAG,
        case_ref=None,
        new_route=new_case,
        why="staff.victim-flagged",
        actor=actor,
        batched=batched,
    )
    flagged_by = f"staff.victim-flagged by {cmd.flagged_by_ref}"
    if cmd.team_ref is not None:
        flagged_by += f" of team {cmd.team_ref}"
    for record in records:
        ref = record.candidate.participant_ref
        await write_audit(uow, actor, "flag", ref, flagged_by, batched=batched)
    return records[0] if records else None


async def self_refer(uow: UnitOfWork, services: Services, cmd: SelfRefer) -> str:
    """The only way a name and contact details reach the platform: sealed at once, under a key
    of this participant's own, so withdrawal can destroy them. When the force has closed the
    claimed case already, the self-referral goes to that victim's candidate (one victim = one
    candidate), whose ref is returned. Under the case's lock, so a closure cannot slip by."""
    await uow.lock(services.case_lock(cmd.case_ref))
    repository = services.repository(uow)
    victim_ref = await repository.closed_case_victim(cmd.case_ref)
    if victim_ref is not None:
        await lock_victim(uow, services, victim_ref)
    participant_ref = await repository.add_self_referred(
        claimed_case_ref=cmd.case_ref,
        declared_themes=cmd.themes,
        declared_child=cmd.age_band is AgeBand.CHILD,
    )
    vault = services.vault
    contact = json.dumps({"email": cmd.email, "phone": cmd.phone})
    await uow.session.execute(
        self_referrals.insert().values(
            participant_ref=participant_ref,
            name_sealed=await vault.encrypt(uow.session, participant_ref, cmd.name),
            contact_sealed=await vault.encrypt(uow.session, participant_ref, contact),
            received_at=services.clock(),
        )
    )
    record = await repository.get(participant_ref)
    assert record is not None
    if victim_ref is not None:
        found = [(r, False) for r in await repository.for_victim_or_case(victim_ref, None)]
        merged = await merge_claimers(
            uow, services, victim_ref, CandidateSource.SELF_REFERRAL, [*found, (record, False)]
        )
        record = next(r for r, _ in merged if r.sourcing.victim_ref == victim_ref)
    await rescreen(uow, services, record, why="self-referral", sourcing=True, actor="public")
    return record.candidate.participant_ref


async def sweep(uow: UnitOfWork, services: Services, *, limit: int = 1000) -> int:
    """Re-screen deferred candidates whose wait is over (cooling-off, contact interval)."""
    repository = services.repository(uow)
    due = await repository.due_for_rescreening(services.clock(), limit)
    for record in due:
        await rescreen(uow, services, record, why="sweep", sourcing=False)
    return len(due)


async def read_self_referral(
    uow: UnitOfWork, services: Services, participant_ref: str
) -> dict[str, str | None] | None:
    """The self-referrer's name and contact details, opened for a coordinator."""
    row = (
        await uow.session.execute(
            sa.select(self_referrals).where(self_referrals.c.participant_ref == participant_ref)
        )
    ).first()
    if row is None:
        return None
    vault = services.vault
    contact = json.loads(await vault.decrypt(uow.session, participant_ref, row.contact_sealed))
    return {
        "name": await vault.decrypt(uow.session, participant_ref, row.name_sealed),
        "email": contact["email"],
        "phone": contact["phone"],
    }
