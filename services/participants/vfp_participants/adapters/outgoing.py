"""What this service publishes: its domain events turned into the contracts other services
read (pseudonymous refs and codes only; no names, contact details or free text)."""

from vfp_participants.domain.model import (
    Candidate,
    CandidateExcluded,
    CandidateIdentified,
    ConsentDeclined,
    ConsentGiven,
    ConsentWithdrawn,
    DomainEvent,
)
from vfp_shared.contracts import (
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    ConsentDeclinedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
)
from vfp_shared.contracts.base import Contract
from vfp_shared.contracts.vocabulary import ContactRoute

OUTGOING: tuple[type[Contract], ...] = (
    CandidateIdentifiedV1,
    CandidateExcludedV1,
    ConsentGivenV1,
    ConsentDeclinedV1,
    ConsentWithdrawnV1,
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
