"""One victim = one candidate: a self-referrer found to be a force victim (the force closed the
case they claimed, naming the victim) becomes that victim's candidate, or is merged into the
one the victim already has. Runs under the case's and the victim's locks, with the candidates'
rows locked."""

import sqlalchemy as sa

from vfp_participants.adapters.repository import CandidateRecord
from vfp_participants.adapters.tables import self_referrals
from vfp_participants.domain.model import ANNOUNCED, Status
from vfp_participants.service_layer.unit import Services, store, write_audit
from vfp_shared.contracts.vocabulary import CandidateSource
from vfp_shared.storage.unit_of_work import UnitOfWork

SYSTEM = "system"


def _unattached(record: CandidateRecord) -> bool:
    return (
        record.sourcing.victim_ref is None
        and record.candidate.self_referred
        and record.candidate.status is not Status.WITHDRAWN
    )


async def merge_claimers(
    uow: UnitOfWork,
    services: Services,
    victim_ref: str,
    found: list[tuple[CandidateRecord, bool]],
    *,
    listed: dict[str, bool] | None = None,
    batched: bool = False,
) -> list[tuple[CandidateRecord, bool]]:
    """`found`: the victim's candidate (if they have one) and those claiming their case, each
    with whether it has a new route. The self-referrers among them not yet any victim's are
    merged into the victim's candidate; without one, the first becomes it. Returns what is
    left to screen. `listed` (do-not-contact answers by digest) is kept true to the moves."""
    claimers = [record for record, _ in found if _unattached(record)]
    if not claimers:
        return found
    own = next(
        ((record, new) for record, new in found if record.sourcing.victim_ref == victim_ref), None
    )
    others = [(record, new) for record, new in found if not _unattached(record)]
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
    """The claimer's sources, declarations, sealed self-referral, do-not-contact entry and
    (when it got further) lifecycle go to the victim's candidate; the claimer is then erased,
    or, when other services heard of it, kept only as a `merged_duplicate` exclusion."""
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
        await store(uow, services, claimer, actor=SYSTEM, why="merged", batched=batched)
    else:
        await repository.delete(gone)
    await write_audit(uow, SYSTEM, "merge", gone, f"merged into {ref}", batched=batched)


async def _reseal_self_referral(uow: UnitOfWork, services: Services, gone: str, into: str) -> None:
    """Open the claimer's sealed name and contact details and seal them again under the
    victim's candidate's key; then the claimer's key (crypto-shredding) and row go. The
    newer self-referral is kept when both have one."""
    s, vault = uow.session, services.vault
    row = (
        await s.execute(sa.select(self_referrals).where(self_referrals.c.participant_ref == gone))
    ).first()
    if row is not None:
        kept = await s.scalar(
            sa.select(self_referrals.c.received_at).where(self_referrals.c.participant_ref == into)
        )
        if kept is None or kept < row.received_at:
            name = await vault.decrypt(s, gone, row.name_sealed)
            contact = await vault.decrypt(s, gone, row.contact_sealed)
            values = {
                "name_sealed": await vault.encrypt(s, into, name),
                "contact_sealed": await vault.encrypt(s, into, contact),
                "received_at": row.received_at,
            }
            await s.execute(
                sa.delete(self_referrals).where(self_referrals.c.participant_ref == into)
            )
            await s.execute(self_referrals.insert().values(participant_ref=into, **values))
        await s.execute(sa.delete(self_referrals).where(self_referrals.c.participant_ref == gone))
    await vault.erase(s, gone)
