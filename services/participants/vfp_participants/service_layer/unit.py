"""What every handler needs beside its unit of work: the policy, the vault, the clock."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import sqlalchemy as sa
from opentelemetry.trace import SpanKind

from vfp_participants.adapters.do_not_contact import DoNotContactList
from vfp_participants.adapters.repository import CandidateRecord, CandidateRepository
from vfp_participants.adapters.tables import audit, candidates
from vfp_participants.domain.model import (
    Candidate,
    CandidateExcluded,
    CandidateIdentified,
    ConsentDeclined,
    ConsentGiven,
    ConsentWithdrawn,
    DomainEvent,
)
from vfp_participants.domain.screening import ScreeningPolicy
from vfp_shared.audit import record as audit_record
from vfp_shared.auth import Principal
from vfp_shared.contracts import (
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    ConsentDeclinedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
)
from vfp_shared.contracts.base import Contract
from vfp_shared.contracts.vocabulary import ContactRoute
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


def contract_for(candidate: Candidate, event: DomainEvent, policy_version: str) -> Contract:
    """Domain events to the contracts other services read: pseudonymous refs and codes only."""
    ref = candidate.participant_ref
    match event:
        case CandidateIdentified(at=at):
            assert candidate.contact_route is not None, "screening identifies only with a route"
            return CandidateIdentifiedV1(
                participant_ref=ref,
                themes=sorted(candidate.themes),
                source=candidate.sources[0],
                contact_route=candidate.contact_route,
                supporter_ref=candidate.supporter_ref,
                child=candidate.child,
                policy_version=candidate.policy_version or policy_version,
                identified_at=at,
            )
        case CandidateExcluded(reason_codes=codes, at=at):
            return CandidateExcludedV1(
                participant_ref=ref,
                reason_codes=list(codes),
                policy_version=candidate.policy_version or policy_version,
                excluded_at=at,
            )
        case ConsentGiven(at=at):
            consent = candidate.consent
            assert consent is not None and candidate.contact_route is not None
            return ConsentGivenV1(
                participant_ref=ref,
                mode=consent.mode,
                scopes=sorted(consent.scopes),
                themes=sorted(candidate.themes),
                contact_route=candidate.contact_route,
                supporter_ref=candidate.supporter_ref,
                support_service_ref=candidate.support_service_ref,
                case_study_team_refs=list(consent.case_study_team_refs),
                praise_officer_refs=list(consent.praise_officer_refs),
                direct_contact=candidate.contact_route is ContactRoute.DIRECT,
                given_at=at,
            )
        case ConsentDeclined(at=at):
            return ConsentDeclinedV1(participant_ref=ref, declined_at=at)
        case ConsentWithdrawn(at=at):
            return ConsentWithdrawnV1(participant_ref=ref, withdrawn_at=at)
    raise TypeError(f"no contract for {event!r}")
