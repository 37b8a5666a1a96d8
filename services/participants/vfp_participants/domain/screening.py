"""Screening: explainable, configurable, versioned. Each rule is a pure function of the facts
known about one victim, the policy and the time; `screen` combines their findings into a
decision that carries every reason and the policy version.

One victim is one candidate, however many cases they have: a rule that blocks on any one of
their cases (still in the justice system, reopened, under complaint) blocks the victim, since
an approach about one case cannot ignore the other.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, JusticeStatus


class ReasonCode(StrEnum):
    CASE_NOT_KNOWN = "case_not_known"
    NOT_FINALISED = "not_finalised"
    CASE_REOPENED = "case_reopened"
    OPEN_COMPLAINT = "open_complaint"
    NO_FOCUS_THEME = "no_focus_theme"
    COOLING_OFF = "cooling_off"
    APPROACHED_RECENTLY = "approached_recently"
    DO_NOT_CONTACT = "do_not_contact"
    SAFEGUARDING_WITHOUT_SUPPORT_WORKER = "safeguarding_without_support_worker"
    NO_CONTACT_ROUTE = "no_contact_route"
    # Requirements that do not stop the candidate but shape the approach.
    GUARDIAN_CONSENT_REQUIRED = "guardian_consent_required"
    SUPPORT_WORKER_ONLY = "support_worker_only"


class Effect(StrEnum):
    EXCLUDE = "exclude"  # not a candidate while this holds
    PEND = "pend"  # facts missing: wait for them
    DEFER = "defer"  # not yet: re-screened when `until` passes
    REQUIRE = "require"  # a candidate, with a condition on the approach or the consent


class Verdict(StrEnum):
    IDENTIFIED = "identified"
    DEFERRED = "deferred"
    PENDING = "pending"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Finding:
    code: ReasonCode
    effect: Effect
    until: datetime | None = None


@dataclass(frozen=True)
class ScreeningPolicy:
    """The configurable part of screening; `version` names it in every decision."""

    label: str
    cooling_off_days: int
    contact_interval_days: int
    focus_themes: frozenset[FocusTheme]

    @property
    def version(self) -> str:
        # The label is what people say; the digest catches a changed setting under the same label.
        params = (
            f"{self.cooling_off_days}|{self.contact_interval_days}|"
            f"{','.join(sorted(self.focus_themes))}"
        )
        return f"{self.label}+{hashlib.sha256(params.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class CaseFacts:
    """One case as the force systems told us; `closed_at` is None until case-closed arrives."""

    case_ref: str
    justice_status: JusticeStatus | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    open_complaints: int = 0
    themes: frozenset[FocusTheme] = frozenset()
    child: bool = False
    safeguarding: bool = False
    oic_ref: str | None = None
    support_service_ref: str | None = None
    support_worker_ref: str | None = None

    @property
    def reopened(self) -> bool:
        return self.reopened_at is not None and (
            self.closed_at is None or self.reopened_at > self.closed_at
        )


@dataclass(frozen=True)
class VictimFacts:
    """Everything screening may look at for one victim."""

    cases: tuple[CaseFacts, ...] = ()
    on_do_not_contact: bool = False
    last_approached_at: datetime | None = None
    self_referred: bool = False
    # The force's victim ref brought them too (a case, a nomination, a flag): see `direct_contact`.
    known_to_force: bool = False
    declared_themes: frozenset[FocusTheme] = frozenset()
    declared_child: bool = False
    nominated_service_ref: str | None = None
    nominated_worker_ref: str | None = None

    @property
    def closed_cases(self) -> tuple[CaseFacts, ...]:
        return tuple(case for case in self.cases if case.closed_at is not None)

    @property
    def support_worker_ref(self) -> str | None:
        return self.nominated_worker_ref or next(
            (c.support_worker_ref for c in self._newest_first() if c.support_worker_ref), None
        )

    @property
    def support_service_ref(self) -> str | None:
        return self.nominated_service_ref or next(
            (c.support_service_ref for c in self._newest_first() if c.support_service_ref), None
        )

    @property
    def oic_ref(self) -> str | None:
        return next((c.oic_ref for c in self._newest_first() if c.oic_ref), None)

    @property
    def child(self) -> bool:
        return self.declared_child or any(case.child for case in self.cases)

    @property
    def safeguarding(self) -> bool:
        return any(case.safeguarding for case in self.cases)

    def _newest_first(self) -> list[CaseFacts]:
        return sorted(self.closed_cases, key=lambda c: c.closed_at or datetime.min, reverse=True)


def themes_of_case(
    *,
    domestic_abuse: bool,
    sexual_offence: bool,
    stalking_harassment: bool,
    hate_crime: bool,
    other_high_harm: bool,
) -> frozenset[FocusTheme]:
    """The force's offence flags mapped to focus themes. Violence against women and girls needs
    the victim's sex, which no force event carries: only a self-referral can declare it."""
    themes: set[FocusTheme] = set()
    if domestic_abuse or sexual_offence:
        themes.add(FocusTheme.SEXUAL_VIOLENCE_AND_DOMESTIC_ABUSE)
    if stalking_harassment:
        themes.add(FocusTheme.STALKING_AND_HARASSMENT)
    if hate_crime:
        themes.add(FocusTheme.MINORITY_COMMUNITIES)
    if other_high_harm:
        themes.add(FocusTheme.OTHER_HIGH_HARM)
    return frozenset(themes)


# --- the rules: one function each ------------------------------------------------------------


def case_known(facts: VictimFacts) -> Finding | None:
    """Nothing can be judged until the force has told us the case closed."""
    if not facts.cases or len(facts.closed_cases) < len(facts.cases):
        return Finding(ReasonCode.CASE_NOT_KNOWN, Effect.PEND)
    return None


def case_finalised(facts: VictimFacts) -> Finding | None:
    """Only victims no longer in the criminal-justice system are approached."""
    if any(c.justice_status is not JusticeStatus.FINALISED for c in facts.closed_cases):
        return Finding(ReasonCode.NOT_FINALISED, Effect.EXCLUDE)
    return None


def case_not_reopened(facts: VictimFacts) -> Finding | None:
    """A case reopened after its closure makes its victim ineligible again."""
    if any(case.reopened for case in facts.cases):
        return Finding(ReasonCode.CASE_REOPENED, Effect.EXCLUDE)
    return None


def no_open_complaint(facts: VictimFacts) -> Finding | None:
    """A complaint open on any of the victim's cases removes them; resolved lets them back."""
    if any(case.open_complaints for case in facts.cases):
        return Finding(ReasonCode.OPEN_COMPLAINT, Effect.EXCLUDE)
    return None


def candidate_themes(facts: VictimFacts, policy: ScreeningPolicy) -> frozenset[FocusTheme]:
    """The focus themes the victim's cases (or their own declaration) match."""
    found = set(facts.declared_themes)
    for case in facts.closed_cases:
        found |= case.themes
    return frozenset(found) & policy.focus_themes


def matches_focus_theme(facts: VictimFacts, policy: ScreeningPolicy) -> Finding | None:
    if not candidate_themes(facts, policy):
        return Finding(ReasonCode.NO_FOCUS_THEME, Effect.EXCLUDE)
    return None


def cooling_off_elapsed(
    facts: VictimFacts, policy: ScreeningPolicy, now: datetime
) -> Finding | None:
    """No approach until `cooling_off_days` after the latest closure."""
    closures = [c.closed_at for c in facts.closed_cases if c.closed_at is not None]
    if not closures:
        return None
    until = max(closures) + timedelta(days=policy.cooling_off_days)
    if now < until:
        return Finding(ReasonCode.COOLING_OFF, Effect.DEFER, until)
    return None


def contact_frequency(facts: VictimFacts, policy: ScreeningPolicy, now: datetime) -> Finding | None:
    """Approached at most once per rolling `contact_interval_days`."""
    if facts.last_approached_at is None:
        return None
    until = facts.last_approached_at + timedelta(days=policy.contact_interval_days)
    if now < until:
        return Finding(ReasonCode.APPROACHED_RECENTLY, Effect.DEFER, until)
    return None


def not_on_do_not_contact(facts: VictimFacts) -> Finding | None:
    if facts.on_do_not_contact:
        return Finding(ReasonCode.DO_NOT_CONTACT, Effect.EXCLUDE)
    return None


def guardian_consent(facts: VictimFacts) -> Finding | None:
    """A child takes part only with a parent's or guardian's consent."""
    if facts.child:
        return Finding(ReasonCode.GUARDIAN_CONSENT_REQUIRED, Effect.REQUIRE)
    return None


def safeguarding_route(facts: VictimFacts) -> Finding | None:
    """A safeguarding flag allows contact only through the support worker."""
    if not facts.safeguarding:
        return None
    if facts.support_worker_ref is None:
        return Finding(ReasonCode.SAFEGUARDING_WITHOUT_SUPPORT_WORKER, Effect.EXCLUDE)
    return Finding(ReasonCode.SUPPORT_WORKER_ONLY, Effect.REQUIRE)


def direct_contact(*, self_referred: bool, known_to_force: bool) -> bool:
    """A self-referrer the force does not know asked us directly, and is answered directly. Once
    the force knows the victim, a self-referral is only a claim: anyone who knows the crime
    reference can make one (in a domestic-abuse case, the perpetrator). Contact then stays with
    the support worker or the officer in the case, who can confirm it."""
    return self_referred and not known_to_force


def contact_route(facts: VictimFacts) -> tuple[ContactRoute | None, str | None]:
    """Who reaches the victim, and through whom: never cold."""
    worker = facts.support_worker_ref
    if facts.safeguarding:
        return (ContactRoute.SUPPORT_WORKER, worker) if worker else (None, None)
    if direct_contact(self_referred=facts.self_referred, known_to_force=facts.known_to_force):
        return ContactRoute.DIRECT, None
    if worker:
        return ContactRoute.SUPPORT_WORKER, worker
    if facts.oic_ref:
        return ContactRoute.OFFICER_IN_CASE, facts.oic_ref
    return None, None


def has_contact_route(facts: VictimFacts) -> Finding | None:
    """Contact is never cold: without a supporter, an officer or a self-referral, no approach."""
    if contact_route(facts)[0] is None and not facts.safeguarding and facts.closed_cases:
        return Finding(ReasonCode.NO_CONTACT_ROUTE, Effect.EXCLUDE)
    return None


def nomination_accepted(
    facts: VictimFacts, current_service_ref: str | None, service_ref: str
) -> bool:
    """A service may nominate its own client or a victim no service is known to support; a
    nomination never moves a victim from one service to another (the first service keeps them)."""
    holder = facts.support_service_ref or current_service_ref
    return holder is None or holder == service_ref


def allowed_routes(
    *, safeguarding: bool, self_referred: bool, known_to_force: bool
) -> frozenset[ContactRoute]:
    """The routes an approach may take."""
    if safeguarding:
        return frozenset({ContactRoute.SUPPORT_WORKER})
    routes = {ContactRoute.SUPPORT_WORKER, ContactRoute.OFFICER_IN_CASE}
    if direct_contact(self_referred=self_referred, known_to_force=known_to_force):
        routes.add(ContactRoute.DIRECT)
    return frozenset(routes)


# --- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    findings: tuple[Finding, ...]
    policy_version: str
    themes: frozenset[FocusTheme] = frozenset()
    contact_route: ContactRoute | None = None
    supporter_ref: str | None = None
    support_service_ref: str | None = None
    child: bool = False
    safeguarding: bool = False
    deferred_until: datetime | None = None
    reason_codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason_codes", tuple(str(f.code) for f in self.findings))

    def codes(self, effect: Effect) -> tuple[str, ...]:
        return tuple(str(f.code) for f in self.findings if f.effect is effect)


def screen(facts: VictimFacts, policy: ScreeningPolicy, now: datetime) -> Decision:
    """Run every rule; the strongest effect decides (exclude > pend > defer > identify)."""
    rules: Iterable[Callable[[], Finding | None]] = (
        lambda: not_on_do_not_contact(facts),
        lambda: case_known(facts),
        lambda: case_finalised(facts),
        lambda: case_not_reopened(facts),
        lambda: no_open_complaint(facts),
        lambda: matches_focus_theme(facts, policy),
        lambda: safeguarding_route(facts),
        lambda: has_contact_route(facts),
        lambda: cooling_off_elapsed(facts, policy, now),
        lambda: contact_frequency(facts, policy, now),
        lambda: guardian_consent(facts),
    )
    findings = tuple(found for rule in rules if (found := rule()) is not None)
    # Without a closed case, the theme rule has nothing to judge yet: that is "pending".
    if any(f.code is ReasonCode.CASE_NOT_KNOWN for f in findings):
        findings = tuple(f for f in findings if f.code is not ReasonCode.NO_FOCUS_THEME)
    effects = {f.effect for f in findings}
    deferrals = [f.until for f in findings if f.effect is Effect.DEFER and f.until]
    if Effect.EXCLUDE in effects:
        verdict = Verdict.EXCLUDED
    elif Effect.PEND in effects:
        verdict = Verdict.PENDING
    elif Effect.DEFER in effects:
        verdict = Verdict.DEFERRED
    else:
        verdict = Verdict.IDENTIFIED
    route, supporter = contact_route(facts)
    return Decision(
        verdict=verdict,
        findings=findings,
        policy_version=policy.version,
        themes=candidate_themes(facts, policy),
        contact_route=route,
        supporter_ref=supporter,
        support_service_ref=facts.support_service_ref,
        child=facts.child,
        safeguarding=facts.safeguarding,
        deferred_until=max(deferrals) if verdict is Verdict.DEFERRED and deferrals else None,
    )
