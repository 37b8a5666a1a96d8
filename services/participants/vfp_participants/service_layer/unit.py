"""What every handler needs beside its unit of work: the policy, the vault, the clock."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import sqlalchemy as sa
from opentelemetry.trace import SpanKind

from vfp_participants.adapters.do_not_contact import DoNotContactList, digest
from vfp_participants.adapters.outgoing import contract_for
from vfp_participants.adapters.repository import CandidateRecord, CandidateRepository
from vfp_participants.adapters.tables import audit, candidates, self_referrals
from vfp_participants.domain.screening import ScreeningPolicy
from vfp_shared.audit import entry as audit_entry
from vfp_shared.audit import record as audit_record
from vfp_shared.auth import Principal
from vfp_shared.crypto import Vault
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.telemetry import current_traceparent, span_from, tracer

Actor: TypeAlias = "Principal | str"
# The actor of what the service does on its own (screening, merging, the retention purge).
SYSTEM = "system"


@dataclass(frozen=True)
class Services:
    policy: ScreeningPolicy
    vault: Vault
    do_not_contact_key: bytes
    clock: Callable[[], datetime]
    # Final candidates unchanged for this long are erased (service_layer/retention.py).
    retention_days: int = 730

    def victim_digest(self, victim_ref: str) -> str:
        """The victim's keyed digest: their do-not-contact entry's id, and their lock's key."""
        return digest(self.do_not_contact_key, "victim", victim_ref)

    def victim_lock(self, victim_ref: str) -> str:
        """The `UnitOfWork.lock` key of a force victim: by their digest, never the ref."""
        return f"victim:{self.victim_digest(victim_ref)}"

    def case_lock(self, case_ref: str) -> str:
        """The `UnitOfWork.lock` key of a case a self-referrer may claim: a self-referral and
        the case's closure run one after another, so one always sees the other. Sorted before
        every victim lock (`lock_many` sorts), and taken before one."""
        return f"case:{digest(self.do_not_contact_key, 'case', case_ref)}"

    def repository(self, uow: UnitOfWork) -> CandidateRepository:
        return CandidateRepository(
            uow.session, DoNotContactList(uow.session, self.do_not_contact_key)
        )


async def lock_victim(uow: UnitOfWork, services: Services, victim_ref: str) -> str:
    """Hold the victim's lock until the unit of work ends, so what sources a victim and their
    withdrawal run one after another (a withdrawal committing meanwhile would let a waiting
    upsert create a fresh candidate for the withdrawn victim). Take it before any candidate
    row lock. Keyed by the victim's do-not-contact digest, never the ref; returns the digest."""
    await uow.lock(services.victim_lock(victim_ref))
    return services.victim_digest(victim_ref)


# One statement object, so staged audit lines of a whole batch go in one executemany.
AUDIT_INSERT = audit.insert()


async def write_audit(
    uow: UnitOfWork, actor: Actor, action: str, subject_ref: str, why: str, *, batched: bool
) -> None:
    """An audit line, as `vfp_shared.audit.record` writes it; `batched` (a consumer's batch,
    where every audit line is staged, so they keep their order and nothing reads them back):
    queued to be written at commit."""
    if not batched:
        await audit_record(uow.session, audit, actor, action, subject_ref, why)
        return
    uow.stage(AUDIT_INSERT, audit_entry(actor, action, subject_ref, why))


async def store(
    uow: UnitOfWork,
    services: Services,
    record: CandidateRecord,
    *,
    actor: Actor,
    why: str,
    reason: str | None = None,
    batched: bool = False,
) -> None:
    """Save the candidate, audit each change, and queue its events (all in the caller's
    transaction, so they commit or vanish together). `reason`: a coordinator's reason code,
    added to the audit lines' why only (never free text: the audit log outlives erasure).
    `batched`: in a consumer's batch, where history and audit lines are staged to be written
    at commit."""
    repository = services.repository(uow)
    candidate = record.candidate
    journey = await _journey_of(uow, record) if candidate.events else None
    # A journey that starts with the current trace is written with the candidate itself.
    starts_here = current_traceparent() if candidate.events and journey is None else None
    written = await repository.save(
        record, trigger=why, journey=starts_here, stage=uow.stage if batched else None
    )
    audited_why = why if reason is None else f"{why}: {reason}"
    for entry in written:
        await write_audit(
            uow,
            actor,
            f"{entry.kind}:{entry.from_status.value}->{entry.to_status.value}",
            candidate.participant_ref,
            audited_why,
            batched=batched,
        )
    if candidate.events:
        await _emit_on_the_journey(uow, services, record, journey, started=starts_here is not None)
    candidate.events.clear()


async def _journey_of(uow: UnitOfWork, record: CandidateRecord) -> str | None:
    if record.journey_known:
        return record.journey
    column = candidates.c.journey_traceparent
    where = candidates.c.participant_ref == record.candidate.participant_ref
    journey: str | None = await uow.session.scalar(sa.select(column).where(where))
    return journey


async def _emit_on_the_journey(
    uow: UnitOfWork,
    services: Services,
    record: CandidateRecord,
    journey: str | None,
    *,
    started: bool,
) -> None:
    """One victim's journey is one trace: it starts with the event (or request) that first
    brought them forward, and every later step's events continue it, whoever records them."""
    candidate = record.candidate
    context: AbstractContextManager[object]
    if journey is not None:
        context = span_from("participants step", journey, SpanKind.INTERNAL)
    elif current_traceparent() is None:  # e.g. a self-referral: the journey starts here
        context = tracer().start_as_current_span("participants journey")
    else:
        context = nullcontext()
    with context:
        for event in candidate.events:
            uow.emit(contract_for(candidate, event, services.policy.version))
        if journey is None and not started:
            traceparent = current_traceparent()
            where = candidates.c.participant_ref == candidate.participant_ref
            await uow.session.execute(
                sa.update(candidates).where(where).values(journey_traceparent=traceparent)
            )
            record.journey, record.journey_known = traceparent, True


async def shred(uow: UnitOfWork, services: Services, participant_ref: str) -> None:
    """Erase a candidate's sealed data: their key goes (crypto-shredding: whatever was sealed
    under it, wherever it is, can no longer be read) and so does their sealed self-referral.
    Withdrawal, the retention purge and the erasure of merged duplicates all begin here."""
    await services.vault.erase(uow.session, participant_ref)
    await uow.session.execute(
        sa.delete(self_referrals).where(self_referrals.c.participant_ref == participant_ref)
    )
