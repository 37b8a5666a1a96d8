"""The candidate: one victim, from identification to consent, decline or withdrawal.

identified → approached → consented | declined | no_response; approached, consented, declined,
no_response or excluded → withdrawn; excluded at any point with a reason. A victim who asks to
withdraw is always let go (and erased), even once excluded. Screening moves a candidate
between pending, deferred, identified and excluded; once approached, only an exclusion can
come from screening. Every step checks first and changes after, so a refused step changes
nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from vfp_participants.domain.errors import IllegalTransition, RuleViolation
from vfp_participants.domain.screening import Decision, Effect, Verdict, allowed_routes
from vfp_shared.contracts.vocabulary import (
    CandidateSource,
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)


class Status(StrEnum):
    PENDING = "pending"
    DEFERRED = "deferred"
    IDENTIFIED = "identified"
    APPROACHED = "approached"
    CONSENTED = "consented"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"
    WITHDRAWN = "withdrawn"
    EXCLUDED = "excluded"


class ExclusionReason(StrEnum):
    """Why a candidate is excluded other than by screening (codes, never free text): by a
    coordinator, or by merging one victim's candidates (`merged_duplicate`, never by hand)."""

    SUPPORT_SERVICE_ADVISED = "support_service_advised"
    SAFEGUARDING_CONCERN = "safeguarding_concern"
    NOT_SUITABLE_FOR_PANEL = "not_suitable_for_panel"
    DUPLICATE = "duplicate"
    VICTIM_ASKED_NOT_TO_BE_CONTACTED = "victim_asked_not_to_be_contacted"
    # A self-referrer's candidate merged into the victim's own (one victim = one candidate).
    MERGED_DUPLICATE = "merged_duplicate"


# Screening may set these statuses freely.
SCREENED = frozenset({Status.PENDING, Status.DEFERRED, Status.IDENTIFIED})
# Other services heard of the candidate: they must hear when it is excluded.
ANNOUNCED = frozenset(
    {Status.IDENTIFIED, Status.APPROACHED, Status.CONSENTED, Status.DECLINED, Status.NO_RESPONSE}
)
# Screening may only exclude these (a complaint or a reopened case), or
# re-identify after a new sourcing event (declined / no response).
IN_CONTACT = frozenset({Status.APPROACHED, Status.CONSENTED})
# Withdrawal starts erasure: a victim who asks is always let go, excluded ones included (a
# candidate excluded after consenting must not be left holding data they asked to erase).
WITHDRAWABLE = frozenset(
    {Status.APPROACHED, Status.CONSENTED, Status.DECLINED, Status.NO_RESPONSE, Status.EXCLUDED}
)
# Merging one victim's two candidates, the one further along gives the merged one its status:
# a coordinator's exclusion (unless for being a duplicate: the merge lifts that one), then
# consent, approach, decline, no response. The screened statuses and screening's exclusions rank
# lowest: screening settles them.
PROGRESS = {Status.CONSENTED: 4, Status.APPROACHED: 3, Status.DECLINED: 2, Status.NO_RESPONSE: 1}
COORDINATOR_EXCLUSION_PROGRESS = 5
# In the history line of a self-referral found to claim a force victim's case: coordinators
# confirm it through the support worker or the officer in the case before relying on it.
CLAIM_TO_CONFIRM = {"claim": "to_confirm"}
# What screening finds out about the victim, kept on the candidate (until they are in contact).
SCREENED_FACTS = (
    "themes",
    "contact_route",
    "supporter_ref",
    "support_service_ref",
    "child",
    "safeguarding",
)


@dataclass(frozen=True)
class Approach:
    via: ContactRoute
    by_ref: str
    at: datetime


@dataclass(frozen=True)
class Consent:
    mode: ParticipationMode
    scopes: frozenset[ConsentScope]
    case_study_team_refs: tuple[str, ...]
    praise_officer_refs: tuple[str, ...]
    guardian_consent: bool
    given_at: datetime


# --- what happened (the unit of work turns these into history rows and outgoing events) ----


@dataclass(frozen=True)
class CandidateIdentified:
    at: datetime


@dataclass(frozen=True)
class CandidateExcluded:
    reason_codes: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class ConsentGiven:
    at: datetime


@dataclass(frozen=True)
class ConsentDeclined:
    at: datetime


@dataclass(frozen=True)
class ConsentWithdrawn:
    at: datetime


DomainEvent = (
    CandidateIdentified | CandidateExcluded | ConsentGiven | ConsentDeclined | (ConsentWithdrawn)
)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the candidate's decision history: a screening decision or a step."""

    kind: str  # "screening" or the step's name
    at: datetime
    from_status: Status
    to_status: Status
    reason_codes: tuple[str, ...] = ()
    policy_version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Candidate:
    participant_ref: str
    status: Status
    sources: tuple[CandidateSource, ...]
    themes: frozenset[FocusTheme] = frozenset()
    contact_route: ContactRoute | None = None
    supporter_ref: str | None = None
    support_service_ref: str | None = None
    child: bool = False
    safeguarding: bool = False
    reason_codes: tuple[str, ...] = ()
    excluded_by_screening: bool = False
    deferred_until: datetime | None = None
    policy_version: str | None = None
    approach: Approach | None = None
    last_approached_at: datetime | None = None
    consent: Consent | None = None
    withdrawn_at: datetime | None = None
    history: list[HistoryEntry] = field(default_factory=list, compare=False)
    events: list[DomainEvent] = field(default_factory=list, compare=False)

    @property
    def self_referred(self) -> bool:
        return CandidateSource.SELF_REFERRAL in self.sources

    @property
    def known_to_force(self) -> bool:
        """Brought by the force's victim ref (a case, a nomination, a flag), not only by their
        own referral: a self-referral then never makes them reachable directly."""
        return any(source is not CandidateSource.SELF_REFERRAL for source in self.sources)

    @property
    def excluded_as_duplicate(self) -> bool:
        return (
            self.status is Status.EXCLUDED
            and not self.excluded_by_screening
            and self.reason_codes == (ExclusionReason.DUPLICATE.value,)
        )

    # --- screening ---------------------------------------------------------------------------

    def apply_screening(self, decision: Decision, now: datetime, *, sourcing: bool) -> None:
        """Take a screening decision. `sourcing`: a new route brought the victim forward again
        (a case, a nomination, a flag), which may re-open a declined or unanswered approach.
        A change of the facts alone (route, supporter, support service, themes...) is a
        history line too: who may see the candidate and how they are reached depend on them."""
        target = self._screened_status(decision, sourcing=sourcing)
        if target is None:
            return
        same_outcome = (
            target is self.status
            and decision.reason_codes == self.reason_codes
            and decision.policy_version == self.policy_version
            and decision.deferred_until == self.deferred_until
        )
        changed = self._take_facts(decision) if self.status not in IN_CONTACT else []
        if same_outcome and not changed:
            return
        before = self.status
        detail: dict[str, Any] = {}
        if decision.deferred_until:
            detail["deferred_until"] = decision.deferred_until.isoformat()
        if changed:
            detail["changed"] = changed  # the names only: the values are on the candidate
        self.history.append(
            HistoryEntry(
                kind="screening",
                at=now,
                from_status=before,
                to_status=target,
                reason_codes=decision.reason_codes,
                policy_version=decision.policy_version,
                detail=detail,
            )
        )
        self.status = target
        self.reason_codes = decision.reason_codes
        self.policy_version = decision.policy_version
        self.deferred_until = decision.deferred_until
        self.excluded_by_screening = target is Status.EXCLUDED
        if target is Status.IDENTIFIED and before is not Status.IDENTIFIED:
            self.events.append(CandidateIdentified(now))
        elif before in ANNOUNCED and target is not Status.IDENTIFIED:
            # Out of reach for now (excluded, or deferred/pending again): others must hear it.
            codes = (
                decision.codes(Effect.EXCLUDE)
                or decision.codes(Effect.PEND)
                or decision.codes(Effect.DEFER)
            )
            self.events.append(CandidateExcluded(codes, now))

    def _take_facts(self, decision: Decision) -> list[str]:
        """Take what screening found out about the victim; returns the names of what changed."""
        changed = [f for f in SCREENED_FACTS if getattr(self, f) != getattr(decision, f)]
        for name in changed:
            setattr(self, name, getattr(decision, name))
        return changed

    def _screened_status(self, decision: Decision, *, sourcing: bool) -> Status | None:
        """Where screening takes this candidate, or None when it may not move it."""
        wanted = Status(decision.verdict.value)
        if self.status is Status.WITHDRAWN:
            return None
        if self.status is Status.EXCLUDED and not self.excluded_by_screening:
            return None  # a coordinator's exclusion stands
        if self.status in IN_CONTACT:
            return Status.EXCLUDED if decision.verdict is Verdict.EXCLUDED else None
        if self.status in (Status.DECLINED, Status.NO_RESPONSE) and not sourcing:
            return Status.EXCLUDED if decision.verdict is Verdict.EXCLUDED else None
        return wanted

    # --- the steps a coordinator records -----------------------------------------------------

    def record_approach(self, via: ContactRoute, by_ref: str, at: datetime) -> None:
        self._require({Status.IDENTIFIED}, "record an approach")
        routes = allowed_routes(
            safeguarding=self.safeguarding,
            self_referred=self.self_referred,
            known_to_force=self.known_to_force,
        )
        if via not in routes:
            raise RuleViolation(
                "via", f"this candidate may only be approached via {', '.join(sorted(routes))}"
            )
        self._move(Status.APPROACHED, "approach", at, {"via": via.value, "by_ref": by_ref})
        self.approach = Approach(via, by_ref, at)
        self.last_approached_at = at
        # From here on the route actually taken is the one other services hear of.
        self.contact_route = via
        self.supporter_ref = None if via is ContactRoute.DIRECT else by_ref

    def record_consent(
        self,
        *,
        mode: ParticipationMode,
        scopes: frozenset[ConsentScope],
        case_study_team_refs: tuple[str, ...],
        praise_officer_refs: tuple[str, ...],
        guardian_consent: bool,
        at: datetime,
    ) -> None:
        self._require({Status.APPROACHED}, "record consent")
        if ConsentScope.TAKE_PART not in scopes:
            raise RuleViolation("scopes", "consent must include take_part")
        if self.child and not guardian_consent:
            raise RuleViolation(
                "guardian_consent", "a child takes part only with a parent's or guardian's consent"
            )
        if (ConsentScope.CASE_STUDY_TO_NAMED_TEAMS in scopes) != bool(case_study_team_refs):
            raise RuleViolation(
                "case_study_team_refs",
                "name the teams exactly when the case-study scope is given",
            )
        if (ConsentScope.PRAISE_TO_NAMED_OFFICERS in scopes) != bool(praise_officer_refs):
            raise RuleViolation(
                "praise_officer_refs",
                "name the officers exactly when the praise scope is given",
            )
        via_worker = self.contact_route is ContactRoute.SUPPORT_WORKER or (
            self.approach is not None and self.approach.via is ContactRoute.SUPPORT_WORKER
        )
        if mode is ParticipationMode.BY_SUPPORT_WORKER and not via_worker:
            raise RuleViolation("mode", "no support worker is known for this candidate")
        self._move(Status.CONSENTED, "consent", at, {"mode": mode.value, "scopes": sorted(scopes)})
        self.consent = Consent(
            mode, scopes, case_study_team_refs, praise_officer_refs, guardian_consent, at
        )
        self.events.append(ConsentGiven(at))

    def record_decline(self, at: datetime) -> None:
        self._require({Status.APPROACHED}, "record a decline")
        self._move(Status.DECLINED, "decline", at)
        self.events.append(ConsentDeclined(at))

    def record_no_response(self, at: datetime) -> None:
        self._require({Status.APPROACHED}, "record no response")
        self._move(Status.NO_RESPONSE, "no_response", at)

    def withdraw(self, at: datetime) -> None:
        """Consent withdrawn: the candidate keeps only its pseudonym and status; the caller
        erases the personal data this service holds."""
        self._require(WITHDRAWABLE, "withdraw")
        self._move(Status.WITHDRAWN, "withdraw", at)
        self.approach = None
        self.consent = None
        self.themes = frozenset()
        self.supporter_ref = None
        self.support_service_ref = None
        self.contact_route = None
        self.reason_codes = ()
        self.excluded_by_screening = False
        self.deferred_until = None
        self.withdrawn_at = at
        self.events.append(ConsentWithdrawn(at))

    def exclude(self, reason: ExclusionReason, at: datetime) -> None:
        if reason is ExclusionReason.MERGED_DUPLICATE:
            raise RuleViolation("reason_code", "merged_duplicate is set only by merging")
        self._require(set(Status) - {Status.WITHDRAWN, Status.EXCLUDED}, "exclude")
        before = self.status
        self._move(Status.EXCLUDED, "exclude", at, reasons=(reason.value,))
        self.reason_codes = (reason.value,)
        self.excluded_by_screening = False
        self.deferred_until = None
        if before in ANNOUNCED:
            self.events.append(CandidateExcluded((reason.value,), at))

    # --- one victim, one candidate -------------------------------------------------------------

    def progress(self) -> int:
        """How far along this candidate is, to pick which status a merge keeps (PROGRESS)."""
        if (
            self.status is Status.EXCLUDED
            and not self.excluded_by_screening
            and not self.excluded_as_duplicate
        ):
            return COORDINATOR_EXCLUSION_PROGRESS
        return PROGRESS.get(self.status, 0)

    def absorb(self, other: "Candidate", at: datetime) -> None:
        """Take in another candidate of the same victim (a self-referral): its sources, and its
        lifecycle when it got further (see PROGRESS); others then hear what this one became.
        Never its route or supporter: who is contacted stays as the force's facts say (the
        history line tells coordinators to confirm the claim through them)."""
        self.sources += tuple(s for s in other.sources if s not in self.sources)
        if other.last_approached_at is not None and (
            self.last_approached_at is None or other.last_approached_at > self.last_approached_at
        ):
            self.last_approached_at = other.last_approached_at
        before = self.status
        if self.excluded_as_duplicate:
            # Excluded as a duplicate of the very candidate merged now: else the victim would
            # stay excluded for good once the duplicate is gone. Screening decides again.
            self.status = Status.PENDING
            self.reason_codes = ()
        taken = other.progress() > self.progress()
        if taken:
            self.status = other.status
            self.reason_codes = other.reason_codes
            self.excluded_by_screening = other.excluded_by_screening
            self.deferred_until = other.deferred_until
            self.approach = other.approach
            self.consent = other.consent
        detail = {"merged": "self_referral", **CLAIM_TO_CONFIRM}
        self.history.append(HistoryEntry("merge", at, before, self.status, (), None, detail))
        if not taken:
            return
        if before not in ANNOUNCED and self.status in ANNOUNCED:
            self.events.append(CandidateIdentified(at))
        if self.status is Status.CONSENTED:
            self.events.append(ConsentGiven(at))
        elif self.status is Status.DECLINED:
            self.events.append(ConsentDeclined(at))
        elif self.status is Status.EXCLUDED and before in ANNOUNCED:
            self.events.append(CandidateExcluded(self.reason_codes, at))

    def merged_away(self, at: datetime) -> None:
        """This candidate was merged into the victim's own: it is kept only as an exclusion
        (screening never lifts it) so the services that heard of it drop it."""
        before = self.status
        merged = ExclusionReason.MERGED_DUPLICATE.value
        self._move(Status.EXCLUDED, "merged", at, reasons=(merged,))
        self.reason_codes = (merged,)
        self.excluded_by_screening = False
        self.deferred_until = None
        self.approach = None
        self.consent = None
        self.themes = frozenset()
        self.supporter_ref = None
        self.support_service_ref = None
        self.contact_route = None
        if before in ANNOUNCED:
            self.events.append(CandidateExcluded((merged,), at))

    def note(self, kind: str, at: datetime, detail: dict[str, Any]) -> None:
        """A line in the history that changes nothing (e.g. a nomination that was ignored)."""
        self.history.append(HistoryEntry(kind, at, self.status, self.status, (), None, detail))

    def _require(self, allowed: set[Status] | frozenset[Status], step: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(self.participant_ref, self.status.value, step)

    def _move(
        self,
        target: Status,
        step: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
        reasons: tuple[str, ...] = (),
    ) -> None:
        self.history.append(
            HistoryEntry(step, at, self.status, target, reasons, None, detail or {})
        )
        self.status = target
