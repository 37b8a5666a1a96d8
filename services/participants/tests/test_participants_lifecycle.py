"""The candidate's state machine: legal steps move it, illegal ones are refused and change
nothing (a property test over random sequences), and what screening may do at each status."""

from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from participants_builders import ALLOWED_FROM, LEADS_TO

from vfp_participants.domain.errors import IllegalTransition, RuleViolation
from vfp_participants.domain.model import (
    Candidate,
    CandidateExcluded,
    CandidateIdentified,
    ConsentGiven,
    ConsentWithdrawn,
    ExclusionReason,
    Status,
)
from vfp_participants.domain.screening import Decision, Effect, Finding, ReasonCode, Verdict
from vfp_shared.contracts.vocabulary import (
    CandidateSource,
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DA = frozenset({FocusTheme.SEXUAL_VIOLENCE_AND_DOMESTIC_ABUSE})


def a_candidate(status: Status = Status.IDENTIFIED, **changes: Any) -> Candidate:
    values: dict[str, Any] = {
        "participant_ref": "p-1",
        "status": status,
        "sources": (CandidateSource.FORCE_CASE,),
        "themes": DA,
        "contact_route": ContactRoute.SUPPORT_WORKER,
        "supporter_ref": "sw-1",
    }
    values.update(changes)
    return Candidate(**values)


def a_decision(verdict: Verdict) -> Decision:
    findings = {
        Verdict.IDENTIFIED: (),
        Verdict.DEFERRED: (Finding(ReasonCode.COOLING_OFF, Effect.DEFER, NOW),),
        Verdict.PENDING: (Finding(ReasonCode.CASE_NOT_KNOWN, Effect.PEND),),
        Verdict.EXCLUDED: (Finding(ReasonCode.OPEN_COMPLAINT, Effect.EXCLUDE),),
    }[verdict]
    return Decision(
        verdict=verdict,
        findings=findings,
        policy_version="v",
        themes=DA,
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref="sw-1",
        deferred_until=NOW if verdict is Verdict.DEFERRED else None,
    )


@dataclass(frozen=True)
class Step:
    name: str
    guardian: bool = True

    def apply(self, candidate: Candidate) -> None:
        match self.name:
            case "approach":
                candidate.record_approach(ContactRoute.SUPPORT_WORKER, "sw-1", NOW)
            case "consent":
                candidate.record_consent(
                    mode=ParticipationMode.PRE_RECORDED,
                    scopes=frozenset({ConsentScope.TAKE_PART}),
                    case_study_team_refs=(),
                    praise_officer_refs=(),
                    guardian_consent=self.guardian,
                    at=NOW,
                )
            case "decline":
                candidate.record_decline(NOW)
            case "no_response":
                candidate.record_no_response(NOW)
            case "withdraw":
                candidate.withdraw(NOW)
            case "exclude":
                candidate.exclude(ExclusionReason.NOT_SUITABLE_FOR_PANEL, NOW)


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    sourcing: bool

    def apply(self, candidate: Candidate) -> None:
        candidate.apply_screening(a_decision(self.verdict), NOW, sourcing=self.sourcing)


steps = st.one_of(
    st.builds(Step, st.sampled_from(sorted(ALLOWED_FROM)), st.booleans()),
    st.builds(Screening, st.sampled_from(list(Verdict)), st.booleans()),
)


def snapshot(candidate: Candidate) -> tuple[Candidate, int, int]:
    return deepcopy(candidate), len(candidate.history), len(candidate.events)


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from(list(Status)),
    child=st.booleans(),
    sequence=st.lists(steps, max_size=25),
)
def test_random_steps_move_legally_or_are_refused_without_a_trace(
    start: Status, child: bool, sequence: list[Step | Screening]
) -> None:
    candidate = a_candidate(start, child=child)
    for action in sequence:
        before, history, events = snapshot(candidate)
        try:
            action.apply(candidate)
        except (IllegalTransition, RuleViolation) as refused:
            # Refused: nothing of it remains.
            assert candidate == before
            assert (len(candidate.history), len(candidate.events)) == (history, events)
            if isinstance(refused, IllegalTransition):
                assert isinstance(action, Step)
                assert before.status not in ALLOWED_FROM[action.name]
            else:
                assert isinstance(action, Step) and action.name == "consent"
                assert child and not action.guardian
            continue
        if isinstance(action, Step):
            assert before.status in ALLOWED_FROM[action.name]
            assert candidate.status is LEADS_TO[action.name]
            assert candidate.history[-1].from_status is before.status
        else:
            assert before.status is not Status.WITHDRAWN or candidate == before
            if candidate.status is not before.status:
                assert candidate.history[-1].kind == "screening"


def test_a_child_cannot_consent_without_a_guardian_and_nothing_changes() -> None:
    candidate = a_candidate(Status.APPROACHED, child=True)
    before = deepcopy(candidate)
    with pytest.raises(RuleViolation) as refused:
        Step("consent", guardian=False).apply(candidate)
    assert refused.value.field == "guardian_consent"
    assert candidate == before and not candidate.history


def test_a_safeguarded_victim_is_approached_only_through_their_support_worker() -> None:
    candidate = a_candidate(safeguarding=True)
    with pytest.raises(RuleViolation) as refused:
        candidate.record_approach(ContactRoute.OFFICER_IN_CASE, "oic-1", NOW)
    assert refused.value.field == "via"
    assert candidate.status is Status.IDENTIFIED
    candidate.record_approach(ContactRoute.SUPPORT_WORKER, "sw-1", NOW)
    assert candidate.status.value == "approached"


def test_only_a_self_referrer_may_be_approached_directly() -> None:
    with pytest.raises(RuleViolation):
        a_candidate().record_approach(ContactRoute.DIRECT, "coordinator-1", NOW)
    referred = a_candidate(sources=(CandidateSource.SELF_REFERRAL,))
    referred.record_approach(ContactRoute.DIRECT, "coordinator-1", NOW)
    assert referred.supporter_ref is None
    # Once the force knows the victim, a self-referral is only a claim.
    claimed = a_candidate(sources=(CandidateSource.FORCE_CASE, CandidateSource.SELF_REFERRAL))
    with pytest.raises(RuleViolation) as refused:
        claimed.record_approach(ContactRoute.DIRECT, "coordinator-1", NOW)
    assert refused.value.field == "via" and claimed.status is Status.IDENTIFIED


def test_consent_needs_take_part_and_names_for_the_named_scopes() -> None:
    candidate = a_candidate(Status.APPROACHED)
    common: dict[str, Any] = {"mode": ParticipationMode.LIVE, "guardian_consent": False, "at": NOW}
    with pytest.raises(RuleViolation) as no_take_part:
        candidate.record_consent(
            scopes=frozenset({ConsentScope.RECORDING_IN_TRAINING}),
            case_study_team_refs=(),
            praise_officer_refs=(),
            **common,
        )
    assert no_take_part.value.field == "scopes"
    with pytest.raises(RuleViolation) as no_officers:
        candidate.record_consent(
            scopes=frozenset({ConsentScope.TAKE_PART, ConsentScope.PRAISE_TO_NAMED_OFFICERS}),
            case_study_team_refs=(),
            praise_officer_refs=(),
            **common,
        )
    assert no_officers.value.field == "praise_officer_refs"
    candidate.record_consent(
        scopes=frozenset({ConsentScope.TAKE_PART, ConsentScope.PRAISE_TO_NAMED_OFFICERS}),
        case_study_team_refs=(),
        praise_officer_refs=("officer-7",),
        **common,
    )
    assert candidate.status is Status.CONSENTED
    assert candidate.events == [ConsentGiven(NOW)]


def test_screening_identifies_once_and_announces_a_later_exclusion() -> None:
    candidate = a_candidate(Status.PENDING)
    candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
    candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
    candidate.apply_screening(a_decision(Verdict.EXCLUDED), NOW, sourcing=False)
    assert candidate.events == [
        CandidateIdentified(NOW),
        CandidateExcluded((ReasonCode.OPEN_COMPLAINT.value,), NOW),
    ]
    assert [h.to_status for h in candidate.history] == [Status.IDENTIFIED, Status.EXCLUDED]


def test_a_candidate_in_contact_is_only_ever_excluded_by_screening() -> None:
    candidate = a_candidate(Status.CONSENTED)
    for verdict in (Verdict.IDENTIFIED, Verdict.DEFERRED, Verdict.PENDING):
        candidate.apply_screening(a_decision(verdict), NOW, sourcing=True)
        assert candidate.status is Status.CONSENTED
    candidate.apply_screening(a_decision(Verdict.EXCLUDED), NOW, sourcing=False)
    assert candidate.status is Status.EXCLUDED


def test_a_coordinators_exclusion_stands_against_screening() -> None:
    candidate = a_candidate()
    candidate.exclude(ExclusionReason.DUPLICATE, NOW)
    candidate.apply_screening(
        a_decision(Verdict.IDENTIFIED), NOW + timedelta(days=1), sourcing=True
    )
    assert candidate.status is Status.EXCLUDED
    assert candidate.reason_codes == ("duplicate",)


def test_withdrawal_keeps_only_the_pseudonym_and_status() -> None:
    candidate = a_candidate(Status.APPROACHED)
    candidate.withdraw(NOW)
    assert candidate.status is Status.WITHDRAWN
    assert candidate.events == [ConsentWithdrawn(NOW)]
    assert (candidate.approach, candidate.consent, candidate.supporter_ref) == (None, None, None)
    candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
    assert candidate.status is Status.WITHDRAWN


def test_an_identified_candidate_deferred_again_is_announced_out_of_reach() -> None:
    candidate = a_candidate(Status.PENDING)
    candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
    candidate.apply_screening(a_decision(Verdict.DEFERRED), NOW, sourcing=True)
    assert candidate.status is Status.DEFERRED
    assert candidate.events[-1] == CandidateExcluded((ReasonCode.COOLING_OFF.value,), NOW)


def test_a_candidate_excluded_after_consenting_may_still_withdraw() -> None:
    by_coordinator = a_candidate(Status.APPROACHED)
    Step("consent").apply(by_coordinator)
    by_coordinator.exclude(ExclusionReason.SUPPORT_SERVICE_ADVISED, NOW)
    by_screening = a_candidate(Status.CONSENTED)
    by_screening.apply_screening(a_decision(Verdict.EXCLUDED), NOW, sourcing=False)
    assert by_screening.excluded_by_screening
    for candidate in (by_coordinator, by_screening):
        candidate.events.clear()
        candidate.withdraw(NOW)
        assert candidate.status is Status.WITHDRAWN
        assert candidate.events == [ConsentWithdrawn(NOW)]
        assert (candidate.consent, candidate.reason_codes) == (None, ())
        assert not candidate.excluded_by_screening
        candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
        assert candidate.status is Status.WITHDRAWN


def test_a_change_of_route_or_supporter_alone_is_a_history_line_without_an_event() -> None:
    candidate = a_candidate(Status.PENDING)
    candidate.apply_screening(a_decision(Verdict.IDENTIFIED), NOW, sourcing=True)
    candidate.history.clear()
    candidate.events.clear()
    other_service = replace(
        a_decision(Verdict.IDENTIFIED), supporter_ref="sw-2", support_service_ref="service-b"
    )
    candidate.apply_screening(other_service, NOW, sourcing=False)
    candidate.apply_screening(other_service, NOW, sourcing=False)  # nothing new: no line
    [line] = candidate.history
    assert (line.kind, line.from_status, line.to_status) == (
        "screening",
        Status.IDENTIFIED,
        Status.IDENTIFIED,
    )
    assert line.detail == {"changed": ["supporter_ref", "support_service_ref"]}
    assert (candidate.supporter_ref, candidate.support_service_ref) == ("sw-2", "service-b")
    assert candidate.events == []
