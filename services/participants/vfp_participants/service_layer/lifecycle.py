"""What coordinators record about a candidate, what they and the support services may read,
and the do-not-contact list. Every read and change is audited in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from vfp_participants.adapters.repository import CandidateFilter, CandidateRecord
from vfp_participants.adapters.tables import audit
from vfp_participants.domain.errors import (
    CandidateNotFound,
    ListingKept,
    ListingNotFound,
    MergedAway,
)
from vfp_participants.domain.model import ExclusionReason
from vfp_participants.service_layer.merging import erase_merged_into
from vfp_participants.service_layer.screening import read_self_referral, rescreen
from vfp_participants.service_layer.unit import Services, lock_victim, shred, store
from vfp_shared.audit import record as audit_record
from vfp_shared.audit import record_many
from vfp_shared.auth import Principal, Role
from vfp_shared.contracts.vocabulary import ConsentScope, ContactRoute, ParticipationMode
from vfp_shared.storage.unit_of_work import UnitOfWork

COORDINATION = (Role.COORDINATOR, Role.PANEL_LEAD)
# The do-not-contact reason of a withdrawal: that entry is never taken off the list.
WITHDRAWAL_LISTING = "consent_withdrawn"


def may_see(principal: Principal, record: CandidateRecord) -> bool:
    """Coordinators see every candidate; a support service only its own clients."""
    if principal.has(*COORDINATION):
        return True
    return (
        principal.has(Role.SUPPORT_SERVICE)
        and principal.organisation is not None
        and record.candidate.support_service_ref == principal.organisation
    )


async def _load(
    uow: UnitOfWork, services: Services, principal: Principal, participant_ref: str
) -> CandidateRecord:
    record = await services.repository(uow).get(participant_ref)
    if record is None or not may_see(principal, record):
        raise CandidateNotFound(participant_ref)
    return record


async def _load_to_change(
    uow: UnitOfWork, services: Services, principal: Principal, participant_ref: str, step: str
) -> CandidateRecord:
    """`_load` for a change. A self-referrer merged into the victim's candidate is refused (409
    naming that candidate): the victim's consent and contact are that one's, so a withdrawal
    or listing here would not reach them. Nothing changes it but merging and erasure with that
    candidate, under that candidate's locks, so it needs no victim lock of its own."""
    record = await _load(uow, services, principal, participant_ref)
    if record.merged_into is not None:
        status = record.candidate.status.value
        raise MergedAway(participant_ref, status, step, record.merged_into)
    return record


async def _lock_victim_of(uow: UnitOfWork, services: Services, participant_ref: str) -> None:
    """The locks sourcing takes, in its order (a self-referrer's claimed case, then the
    victim), before the candidate's row lock, for a change that must not interleave with the
    victim's sourcing: e.g. a claimer withdrawing while the force closes their claimed case
    (the closure would see the claimer, create no candidate, then find it gone)."""
    repository = services.repository(uow)
    found = await repository.get(participant_ref, lock=False)
    if found is not None and found.sourcing.claimed_case_ref is not None:
        await uow.lock(services.case_lock(found.sourcing.claimed_case_ref))
        # The case's closure, just committed, may have made the claimer a victim's candidate.
        found = await repository.get(participant_ref, lock=False)
    if found is not None and found.sourcing.victim_ref is not None:
        await lock_victim(uow, services, found.sourcing.victim_ref)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateView:
    record: CandidateRecord
    history: Sequence[Any]
    self_referral: dict[str, str | None] | None


async def view_candidate(
    uow: UnitOfWork, services: Services, principal: Principal, participant_ref: str, purpose: str
) -> CandidateView:
    record = await _load(uow, services, principal, participant_ref)
    contact = None
    if principal.has(*COORDINATION):
        contact = await read_self_referral(uow, services, participant_ref)
    await audit_record(uow.session, audit, principal, "read", participant_ref, purpose)
    return CandidateView(
        record, await services.repository(uow).history_of(participant_ref), contact
    )


async def list_candidates(
    uow: UnitOfWork, services: Services, principal: Principal, where: CandidateFilter, purpose: str
) -> list[CandidateRecord]:
    if not principal.has(*COORDINATION):
        if principal.organisation is None:
            return []  # a support service's token without its organisation sees no one
        where = replace(where, support_service_ref=principal.organisation)
    found = await services.repository(uow).search(where)
    await record_many(
        uow.session, audit, principal, "list", [r.candidate.participant_ref for r in found], purpose
    )
    return found


# --- the steps -------------------------------------------------------------------------------


async def record_approach(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    *,
    via: ContactRoute,
    by_ref: str,
    at: datetime | None,
    reason: str | None = None,
) -> CandidateRecord:
    record = await _load_to_change(uow, services, principal, participant_ref, "record an approach")
    record.candidate.record_approach(via, by_ref, at or services.clock())
    await store(uow, services, record, actor=principal, why="approach recorded", reason=reason)
    return record


async def record_consent(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    *,
    mode: ParticipationMode,
    scopes: frozenset[ConsentScope],
    case_study_team_refs: tuple[str, ...],
    praise_officer_refs: tuple[str, ...],
    guardian_consent: bool,
    reason: str | None = None,
) -> CandidateRecord:
    record = await _load_to_change(uow, services, principal, participant_ref, "record consent")
    record.candidate.record_consent(
        mode=mode,
        scopes=scopes,
        case_study_team_refs=case_study_team_refs,
        praise_officer_refs=praise_officer_refs,
        guardian_consent=guardian_consent,
        at=services.clock(),
    )
    await store(uow, services, record, actor=principal, why="consent recorded", reason=reason)
    return record


async def record_decline(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    reason: str | None = None,
) -> CandidateRecord:
    record = await _load_to_change(uow, services, principal, participant_ref, "record a decline")
    record.candidate.record_decline(services.clock())
    await store(uow, services, record, actor=principal, why="decline recorded", reason=reason)
    return record


async def record_no_response(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    reason: str | None = None,
) -> CandidateRecord:
    record = await _load_to_change(uow, services, principal, participant_ref, "record no response")
    record.candidate.record_no_response(services.clock())
    why = "no response recorded"
    await store(uow, services, record, actor=principal, why=why, reason=reason)
    return record


async def exclude(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    reason: ExclusionReason,
) -> CandidateRecord:
    record = await _load_to_change(uow, services, principal, participant_ref, "exclude")
    record.candidate.exclude(reason, services.clock())
    await store(uow, services, record, actor=principal, why=f"excluded: {reason.value}")
    return record


async def withdraw(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    participant_ref: str,
    reason: str | None = None,
) -> CandidateRecord:
    """Consent withdrawn: erase what this service holds about the victim (the sealed name and
    contact details with their key, the victim's cases and refs, the self-referrers merged into
    their candidate), keep them from being sourced again, and tell the other services to erase
    theirs (consent-withdrawn, for the candidate and each merged self-referrer)."""
    await _lock_victim_of(uow, services, participant_ref)
    record = await _load_to_change(uow, services, principal, participant_ref, "withdraw")
    now = services.clock()
    record.candidate.withdraw(now)
    repository = services.repository(uow)
    listing = repository.do_not_contact
    await listing.add(
        listing.key_of(participant_ref, record.sourcing.victim_ref),
        None,
        WITHDRAWAL_LISTING,
        principal.subject,
        now,
    )
    await shred(uow, services, participant_ref)
    await repository.forget_victim(record)
    why = "consent withdrawn: erasure"
    await store(uow, services, record, actor=principal, why=why, reason=reason)
    await audit_record(uow.session, audit, principal, "erase", participant_ref, "consent withdrawn")
    # The victim's duplicates other services heard of go too: withdrawal erases everywhere.
    why = f"consent withdrawn: merged into {participant_ref}"
    await erase_merged_into(
        uow, services, participant_ref, actor=principal, action="erase", why=why
    )
    return record


# --- the do-not-contact list -----------------------------------------------------------------


async def list_do_not_contact(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    purpose: str,
) -> Sequence[Any]:
    """The list, one audit line per entry shown: the participant, or for an entry without one
    (a withdrawn participant, a victim never sourced) the entry's digest."""
    entries = await services.repository(uow).do_not_contact.entries(limit, offset)
    await record_many(
        uow.session,
        audit,
        principal,
        "do_not_contact:read",
        [entry.participant_ref or f"do-not-contact:{entry.digest}" for entry in entries],
        purpose,
    )
    return entries


async def add_to_do_not_contact(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    *,
    participant_ref: str | None,
    victim_ref: str | None,
    reason_code: str,
) -> str | None:
    """List a candidate (or a force victim not yet a candidate); returns the participant ref."""
    repository = services.repository(uow)
    listing = repository.do_not_contact
    record: CandidateRecord | None
    if participant_ref is not None:
        await _lock_victim_of(uow, services, participant_ref)
        record = await _load_to_change(
            uow, services, principal, participant_ref, "put it on the do-not-contact list"
        )
        victim_ref = record.sourcing.victim_ref
    else:
        assert victim_ref is not None
        await lock_victim(uow, services, victim_ref)
        found = await repository.for_victim_or_case(victim_ref, None)
        record = found[0] if found else None
    ref = record.candidate.participant_ref if record else None
    key = listing.key_of(ref or "", victim_ref)
    await listing.add(key, ref, reason_code, principal.subject, services.clock())
    await audit_record(
        uow.session, audit, principal, "do_not_contact:add", ref or "unsourced-victim", reason_code
    )
    if record is not None:
        await rescreen(
            uow, services, record, why="do-not-contact added", sourcing=False, actor=principal
        )
    return ref


async def remove_from_do_not_contact(
    uow: UnitOfWork, services: Services, principal: Principal, participant_ref: str
) -> CandidateRecord:
    await _lock_victim_of(uow, services, participant_ref)
    record = await _load_to_change(
        uow, services, principal, participant_ref, "take it off the do-not-contact list"
    )
    listing = services.repository(uow).do_not_contact
    try:
        entry_id = listing.key_of(participant_ref, record.sourcing.victim_ref)
        await _take_off(uow, services, principal, entry_id)
    except ListingNotFound:
        raise CandidateNotFound(participant_ref) from None
    await rescreen(
        uow, services, record, why="do-not-contact removed", sourcing=False, actor=principal
    )
    return record


async def remove_do_not_contact_entry(
    uow: UnitOfWork, services: Services, principal: Principal, entry_id: str
) -> None:
    """Take an entry off the list by its id (its digest), e.g. one listed by victim ref; its
    candidate, if it has one, is screened again. The victim's and the candidate's locks come
    before the entry's, in the order adding to the list and withdrawal take them."""
    repository = services.repository(uow)
    entry = await repository.do_not_contact.entry(entry_id, lock=False)
    record = None
    if entry is not None and entry.participant_ref is not None:
        await _lock_victim_of(uow, services, entry.participant_ref)
        record = await repository.get(entry.participant_ref)
    await _take_off(uow, services, principal, entry_id)
    if record is not None:
        await rescreen(
            uow, services, record, why="do-not-contact removed", sourcing=False, actor=principal
        )


async def _take_off(
    uow: UnitOfWork, services: Services, principal: Principal, entry_id: str
) -> None:
    """Delete the entry and audit it. A withdrawal's entry stays: the victim asked to be
    forgotten and never sourced again."""
    listing = services.repository(uow).do_not_contact
    entry = await listing.entry(entry_id)
    if entry is None:
        raise ListingNotFound(entry_id)
    if entry.reason_code == WITHDRAWAL_LISTING:
        raise ListingKept(entry_id)
    await listing.remove(entry_id)
    subject = entry.participant_ref or f"do-not-contact:{entry_id}"
    await audit_record(uow.session, audit, principal, "do_not_contact:remove", subject, "removed")
