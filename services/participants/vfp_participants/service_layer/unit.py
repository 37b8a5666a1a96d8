"""What every handler needs beside its unit of work: the policy, the vault, the clock."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import sqlalchemy as sa
from opentelemetry.trace import SpanKind

from vfp_participants.adapters.do_not_contact import DoNotContactList
from vfp_participants.adapters.outgoing import contract_for
from vfp_participants.adapters.repository import CandidateRecord, CandidateRepository
from vfp_participants.adapters.tables import audit, candidates
from vfp_participants.domain.model import Candidate
from vfp_participants.domain.screening import ScreeningPolicy
from vfp_shared.audit import record as audit_record
from vfp_shared.auth import Principal
from vfp_shared.crypto import Vault
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.telemetry import current_traceparent, span_from, tracer

Actor: TypeAlias = "Principal | str"


@dataclass(frozen=True)
class Services:
    policy: ScreeningPolicy
    vault: Vault
    do_not_contact_key: bytes
    clock: Callable[[], datetime]
    # Final candidates unchanged for this long are erased (service_layer/retention.py).
    retention_days: int = 730

    def repository(self, uow: UnitOfWork) -> CandidateRepository:
        return CandidateRepository(
            uow.session, DoNotContactList(uow.session, self.do_not_contact_key)
        )


async def store(
    uow: UnitOfWork, services: Services, record: CandidateRecord, *, actor: Actor, why: str
) -> None:
    """Save the candidate, audit each change, and queue its events (all in the caller's
    transaction, so they commit or vanish together)."""
    repository = services.repository(uow)
    written = await repository.save(record, trigger=why)
    candidate = record.candidate
    for entry in written:
        await audit_record(
            uow.session,
            audit,
            actor,
            f"{entry.kind}:{entry.from_status.value}->{entry.to_status.value}",
            candidate.participant_ref,
            why,
        )
    if candidate.events:
        await _emit_on_the_journey(uow, services, candidate)
    candidate.events.clear()


async def _emit_on_the_journey(uow: UnitOfWork, services: Services, candidate: Candidate) -> None:
    """One victim's journey is one trace: it starts with the event (or request) that first
    brought them forward, and every later step's events continue it, whoever records them."""
    column = candidates.c.journey_traceparent
    where = candidates.c.participant_ref == candidate.participant_ref
    journey = await uow.session.scalar(sa.select(column).where(where))
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
        if journey is None:
            await uow.session.execute(
                sa.update(candidates).where(where).values(journey_traceparent=current_traceparent())
            )
