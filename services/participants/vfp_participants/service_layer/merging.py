"""One victim = one candidate: a self-referrer found to be a force victim (the force closed the
case they claimed, naming the victim) becomes that victim's candidate, or is merged into the
one the victim already has. Runs under the case's and the victim's locks, with the candidates'
rows locked.

Anyone who knows a crime reference can self-refer about it (in a domestic-abuse case, the
perpetrator): once the force knows the victim, a self-referral is only a claim. It never
changes who is contacted: the route stays through the support worker or the officer in the
case (see `domain.screening.direct_contact`), the victim's candidate keeps the sealed details it
has, and a history line (`claim: to_confirm`) asks coordinators to confirm it through them."""

import sqlalchemy as sa

from vfp_participants.adapters.repository import CandidateRecord, is_unattached_claimer
from vfp_participants.adapters.tables import self_referrals
from vfp_participants.domain.model import ANNOUNCED, CLAIM_TO_CONFIRM, Status
from vfp_participants.service_layer.unit import (
    SYSTEM,
    Actor,
    Services,
    shred,
    store,
    write_audit,
)
from vfp_shared.contracts import ConsentWithdrawnV1
from vfp_shared.contracts.vocabulary import CandidateSource
from vfp_shared.storage.unit_of_work import UnitOfWork


async def merge_claimers(
    uow: UnitOfWork,
    services: Services,
    victim_ref: str,
    source: CandidateSource,
    found: list[tuple[CandidateRecord, bool]],
    *,
    listed: dict[str, bool] | None = None,
    batched: bool = False,
) -> list[tuple[CandidateRecord, bool]]:
    """`found`: the victim's candidate (if they have one) and those claiming their case, each
    with whether it has a new route. The self-referrers among them not yet any victim's are
    merged into the victim's candidate; without one, the first becomes it. Returns what is
    left to screen. `listed` (do-not-contact answers by digest) is kept true to the moves.
    `source`: what brought the victim, should they still need a candidate of their own."""
    claimers = [record for record, _ in found if is_unattached_claimer(record)]
    own = next(
        ((record, new) for record, new in found if record.sourcing.victim_ref == victim_ref), None
    )
    if own is None and not claimers:
        # The upsert saw a claimer (so created nothing) that was gone by the time its row was
        # locked (withdrawn, purged): the victim needs a candidate of their own after all.
        created = await services.repository(uow).ensure_for_victim_or_case(victim_ref, source, None)
        return [*found, *created]
    if not claimers:
        return found
    others = [(record, new) for record, new in found if not is_unattached_claimer(record)]
    if own is None:
        first, claimers = claimers[0], claimers[1:]
        await _attach(uow, services, first, victim_ref, listed)
        own = (first, True)
        others.append(own)
    for claimer in claimers:
        await _merge(uow, services, own[0], claimer, listed=listed, batched=batched)
    return others


async def _attach(
    uow: UnitOfWork,
    services: Services,
    record: CandidateRecord,
    victim_ref: str,
    listed: dict[str, bool] | None,
) -> None:
    repository = services.repository(uow)
    await _move_listing(uow, services, record, victim_ref, record.candidate.participant_ref, listed)
    await repository.attach(record, victim_ref, CandidateSource.FORCE_CASE)
    record.candidate.note("attach", services.clock(), dict(CLAIM_TO_CONFIRM))


async def _move_listing(
    uow: UnitOfWork,
    services: Services,
    claimer: CandidateRecord,
    victim_ref: str,
    participant_ref: str,
    listed: dict[str, bool] | None,
) -> None:
    """A self-referrer was listed by their participant ref: the victim is listed now."""
    listing = services.repository(uow).do_not_contact
    victim_digest = listing.key_of(participant_ref, victim_ref)
    old = listing.key_of(claimer.candidate.participant_ref, None)
    if await listing.move(old, victim_digest, participant_ref) and listed is not None:
        listed[victim_digest] = True


async def _merge(
    uow: UnitOfWork,
    services: Services,
    into: CandidateRecord,
    claimer: CandidateRecord,
    *,
    listed: dict[str, bool] | None,
    batched: bool,
) -> None:
    """The claimer's sources, declarations, sealed self-referral (unless the victim's candidate
    has one), do-not-contact entry and (when it got further) lifecycle go to the victim's
    candidate; the claimer is then erased, or, when other services heard of it, kept only as a
    `merged_duplicate` exclusion linked to the victim's candidate (`merged_into`). Claimers
    merged into this claimer before are linked to the victim's candidate instead."""
    repository = services.repository(uow)
    now = services.clock()
    ref, gone = into.candidate.participant_ref, claimer.candidate.participant_ref
    assert into.sourcing.victim_ref is not None
    into.candidate.absorb(claimer.candidate, now)
    await repository.take_declarations(into, claimer)
    await _reseal_self_referral(uow, services, gone, ref)
    await _move_listing(uow, services, claimer, into.sourcing.victim_ref, ref, listed)
    if claimer.candidate.status in ANNOUNCED:
        claimer.candidate.merged_away(now)
        await repository.forget_victim(claimer)
        # Other services may hold what the victim gave under the claimer's ref: the link makes
        # the victim's withdrawal (and the retention purge) erase it with their candidate.
        await repository.record_merge(gone, ref, kept=True)
        await store(uow, services, claimer, actor=SYSTEM, why="merged", batched=batched)
    else:
        await repository.record_merge(gone, ref, kept=False)
        await repository.delete(gone)
    await write_audit(uow, SYSTEM, "merge", gone, f"merged into {ref}", batched=batched)


async def _reseal_self_referral(uow: UnitOfWork, services: Services, gone: str, into: str) -> None:
    """Open the claimer's sealed name and contact details and seal them again under the
    victim's candidate's key; then the claimer's key (crypto-shredding) and row go. When the
    victim's candidate has sealed details already, it keeps them: a later claim must not
    change whom coordinators would reach."""
    s, vault = uow.session, services.vault
    row = (
        await s.execute(sa.select(self_referrals).where(self_referrals.c.participant_ref == gone))
    ).first()
    if row is not None:
        kept = await s.scalar(
            sa.select(sa.literal(True)).where(self_referrals.c.participant_ref == into)
        )
        if not kept:
            name = await vault.decrypt(s, gone, row.name_sealed)
            contact = await vault.decrypt(s, gone, row.contact_sealed)
            await s.execute(
                self_referrals.insert().values(
                    participant_ref=into,
                    name_sealed=await vault.encrypt(s, into, name),
                    contact_sealed=await vault.encrypt(s, into, contact),
                    received_at=row.received_at,
                )
            )
        await s.execute(sa.delete(self_referrals).where(self_referrals.c.participant_ref == gone))
    await vault.erase(s, gone)


async def erase_merged_into(
    uow: UnitOfWork,
    services: Services,
    participant_ref: str,
    *,
    actor: Actor,
    action: str,
    why: str,
) -> list[str]:
    """Erase the claimers kept as `merged_duplicate` in this candidate, as the candidate itself
    is erased (its victim withdraws, or the retention purge takes it). Other services heard of
    each (identified or further), so they may hold what the victim gave under its ref
    (invitations, testimonies, answers, consent): each gets a consent-withdrawn, the erasure
    every service obeys (unless it withdrew already, which announced one). Here its key, sealed
    self-referral, history and row go. The caller holds the candidate's locks (the victim's,
    then its row); the claimers' rows are locked after them. Returns their refs."""
    repository = services.repository(uow)
    now = services.clock()
    merged = await repository.merged_into(participant_ref)
    for ref, status in merged:
        if status is not Status.WITHDRAWN:
            uow.emit(ConsentWithdrawnV1(participant_ref=ref, withdrawn_at=now))
        await shred(uow, services, ref)
        await repository.delete(ref)
        await write_audit(uow, actor, action, ref, why, batched=False)
    return [ref for ref, _ in merged]
