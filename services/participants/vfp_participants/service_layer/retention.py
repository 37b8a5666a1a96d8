"""The retention purge: a candidate whose story here is over (declined, no response, excluded,
withdrawn) and has not changed for the retention period is erased, as withdrawal erases, and
then forgotten altogether. A consented (or approached, or still screened) candidate is kept, and
so is one with a complaint still open on any of their cases: forgetting the complaint would let
the force's next case for the victim bring them forward while it is still open. One excluded
after consenting had their consent announced: the purge withdraws it, so every other service
erases what it holds too. A self-referrer kept as a `merged_duplicate` is the victim of the
candidate it was merged into: never purged on its own while that candidate is live, it goes with
it (see `merging.erase_merged_into`). One whose candidate had withdrawn before the link was kept
(migration 0002 backfills it) should have gone with that withdrawal: it is due at once."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONPATH

from vfp_participants.adapters.tables import audit, candidates, cases
from vfp_participants.domain.model import ExclusionReason, Status
from vfp_participants.service_layer.merging import erase_merged_into
from vfp_participants.service_layer.screening import sweep
from vfp_participants.service_layer.unit import SYSTEM, Services, shred
from vfp_shared.audit import record as audit_record
from vfp_shared.contracts import ConsentWithdrawnV1
from vfp_shared.storage.unit_of_work import UnitOfWork

# Where a candidate's journey ends; consented is not one (the victim is still taking part).
FINAL = frozenset({Status.DECLINED, Status.NO_RESPONSE, Status.EXCLUDED, Status.WITHDRAWN})


async def purge(uow: UnitOfWork, services: Services, *, limit: int = 1000) -> int:
    """Erase final candidates unchanged for the retention period, each with the self-referrers
    merged into it, and at once those merged into a withdrawn candidate; returns how many
    candidates were erased."""
    now = services.clock()
    cutoff = now - timedelta(days=services.retention_days)
    open_complaint = (
        sa.select(cases.c.case_ref)
        .where(
            cases.c.victim_ref == candidates.c.victim_ref,
            sa.func.jsonb_path_exists(
                cases.c.complaints, sa.cast(sa.literal('$.* ? (@ == "open")'), JSONPATH)
            ),
        )
        .exists()
    )
    target = candidates.alias("merged_into_target")
    linked = target.c.participant_ref == candidates.c.merged_into
    withdrawn = target.c.status == Status.WITHDRAWN.value
    # A withdrawn candidate is not live: its withdrawal was to erase the victim everywhere, so a
    # duplicate still linked to it (a link backfilled after that withdrawal) is overdue.
    merged_into_live = sa.select(target.c.participant_ref).where(linked, ~withdrawn).exists()
    merged_into_withdrawn = sa.select(target.c.participant_ref).where(linked, withdrawn).exists()
    s = uow.session
    rows = (
        await s.execute(
            sa.select(
                candidates.c.participant_ref,
                candidates.c.victim_ref,
                candidates.c.merged_into,
                merged_into_withdrawn.label("merged_into_withdrawn"),
                candidates.c.status,
                candidates.c.updated_at,
                candidates.c.consent,
                candidates.c.reason_codes,
            )
            .where(
                candidates.c.status.in_(sorted(status.value for status in FINAL)),
                sa.or_(candidates.c.updated_at < cutoff, merged_into_withdrawn),
                sa.not_(open_complaint),
                # A merged duplicate goes with the candidate it was merged into.
                sa.not_(merged_into_live),
            )
            .order_by(candidates.c.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    purged = 0
    # A duplicate already erased with its withdrawn candidate earlier in this pass (both due).
    erased: set[str] = set()
    for row in rows:
        ref = row.participant_ref
        if ref in erased:
            continue
        consented = row.consent is not None and row.status != Status.WITHDRAWN.value
        # A merged duplicate purged alone (its candidate gone, or withdrawn before the link was
        # kept): others heard of it.
        merged_duplicate = (
            row.status == Status.EXCLUDED.value
            and ExclusionReason.MERGED_DUPLICATE.value in row.reason_codes
        )
        if consented or merged_duplicate:
            uow.emit(ConsentWithdrawnV1(participant_ref=ref, withdrawn_at=now))
        # As withdrawal: the key (crypto-shredding), the sealed self-referral, the victim's
        # cases; then the candidate's history and the candidate itself. The do-not-contact
        # list is left as it is (it outlives erasure by design).
        await shred(uow, services, ref)
        if row.victim_ref is not None:
            await s.execute(sa.delete(cases).where(cases.c.victim_ref == row.victim_ref))
        await services.repository(uow).delete(ref)
        if row.merged_into_withdrawn:
            why = f"merged into {row.merged_into}, withdrawn: erased as its withdrawal erases"
        else:
            why = f"{row.status} and unchanged for {services.retention_days} days"
        await audit_record(s, audit, SYSTEM, "retention:purge", ref, why)
        why = f"merged into {ref}: purged with it"
        merged = await erase_merged_into(
            uow, services, ref, actor=SYSTEM, action="retention:purge", why=why
        )
        erased.update(merged)
        purged += 1 + len(merged)
    return purged


@dataclass(frozen=True)
class SweepResult:
    rescreened: int
    purged: int


async def sweep_and_purge(uow: UnitOfWork, services: Services) -> SweepResult:
    """What the timer and POST /screening/sweep do, in the caller's transaction."""
    rescreened = await sweep(uow, services)
    return SweepResult(rescreened=rescreened, purged=await purge(uow, services))
