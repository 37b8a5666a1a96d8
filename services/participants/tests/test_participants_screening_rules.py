"""Each screening rule on its own (pure functions: the time and the policy are passed in)."""

from datetime import UTC, datetime, timedelta

from vfp_participants.domain.screening import (
    CaseFacts,
    Effect,
    Finding,
    ReasonCode,
    ScreeningPolicy,
    Verdict,
    VictimFacts,
    case_finalised,
    case_known,
    case_not_reopened,
    contact_frequency,
    contact_route,
    cooling_off_elapsed,
    guardian_consent,
    has_contact_route,
    matches_focus_theme,
    no_open_complaint,
    nomination_accepted,
    not_on_do_not_contact,
    safeguarding_route,
    screen,
    themes_of_case,
)
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, JusticeStatus

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
POLICY = ScreeningPolicy(
    label="test",
    cooling_off_days=28,
    contact_interval_days=180,
    focus_themes=frozenset(FocusTheme),
)
DA = frozenset({FocusTheme.SEXUAL_VIOLENCE_AND_DOMESTIC_ABUSE})


def a_case(**changes: object) -> CaseFacts:
    values: dict[str, object] = {
        "case_ref": "case-1",
        "justice_status": JusticeStatus.FINALISED,
        "closed_at": NOW - timedelta(days=60),
        "themes": DA,
        "oic_ref": "oic-1",
    }
    values.update(changes)
    return CaseFacts(**values)  # type: ignore[arg-type]


def a_victim(*cases: CaseFacts, **changes: object) -> VictimFacts:
    return VictimFacts(cases=cases or (a_case(),), **changes)  # type: ignore[arg-type]


def test_an_eligible_victim_is_identified_with_the_policy_version() -> None:
    decision = screen(a_victim(), POLICY, NOW)
    assert decision.verdict is Verdict.IDENTIFIED
    assert decision.reason_codes == ()
    assert decision.policy_version == POLICY.version
    assert decision.themes == DA
    assert decision.contact_route is ContactRoute.OFFICER_IN_CASE
    assert decision.supporter_ref == "oic-1"


def test_the_policy_version_changes_with_its_settings() -> None:
    longer = ScreeningPolicy("test", 56, 180, frozenset(FocusTheme))
    assert longer.version != POLICY.version
    assert longer.version.startswith("test+")


def test_nothing_is_judged_before_the_case_closed_event_arrived() -> None:
    pending = Finding(ReasonCode.CASE_NOT_KNOWN, Effect.PEND)
    assert case_known(VictimFacts()) == pending
    assert case_known(a_victim(CaseFacts("claimed-only"))) == pending
    assert case_known(a_victim()) is None
    assert screen(VictimFacts(), POLICY, NOW).verdict is Verdict.PENDING


def test_a_case_still_in_the_justice_system_excludes_the_victim() -> None:
    pending = a_case(case_ref="case-2", justice_status=JusticeStatus.PENDING_APPEAL)
    assert case_finalised(a_victim(a_case(), pending)) is not None
    assert case_finalised(a_victim()) is None
    assert screen(a_victim(pending), POLICY, NOW).reason_codes == (ReasonCode.NOT_FINALISED,)


def test_a_reopened_case_excludes_the_victim_until_it_closes_again() -> None:
    reopened = a_case(reopened_at=NOW - timedelta(days=10))
    closed_again = a_case(reopened_at=NOW - timedelta(days=90))
    finding = case_not_reopened(a_victim(reopened))
    assert finding is not None and finding.effect is Effect.EXCLUDE
    assert case_not_reopened(a_victim(closed_again)) is None


def test_a_complaint_opened_on_the_case_excludes_the_candidate_and_resolved_lets_it_back() -> None:
    finding = no_open_complaint(a_victim(a_case(open_complaints=1)))
    assert finding is not None and finding.code is ReasonCode.OPEN_COMPLAINT
    assert no_open_complaint(a_victim(a_case(open_complaints=0))) is None


def test_an_offence_outside_the_focus_themes_is_excluded() -> None:
    burglary = a_case(themes=frozenset())
    assert matches_focus_theme(a_victim(burglary), POLICY) is not None
    stalking_only = ScreeningPolicy("t", 28, 180, frozenset({FocusTheme.STALKING_AND_HARASSMENT}))
    assert matches_focus_theme(a_victim(), stalking_only) is not None
    assert matches_focus_theme(a_victim(), POLICY) is None
    declared = a_victim(
        burglary, declared_themes=frozenset({FocusTheme.VIOLENCE_AGAINST_WOMEN_AND_GIRLS})
    )
    assert matches_focus_theme(declared, POLICY) is None


def test_offence_flags_map_to_focus_themes() -> None:
    assert themes_of_case(
        domestic_abuse=False,
        sexual_offence=True,
        stalking_harassment=True,
        hate_crime=True,
        other_high_harm=False,
    ) == {
        FocusTheme.SEXUAL_VIOLENCE_AND_DOMESTIC_ABUSE,
        FocusTheme.STALKING_AND_HARASSMENT,
        FocusTheme.MINORITY_COMMUNITIES,
    }
    assert not themes_of_case(
        domestic_abuse=False,
        sexual_offence=False,
        stalking_harassment=False,
        hate_crime=False,
        other_high_harm=False,
    )


def test_a_recent_closure_defers_the_candidate_until_the_cooling_off_ends() -> None:
    closed = NOW - timedelta(days=10)
    finding = cooling_off_elapsed(a_victim(a_case(closed_at=closed)), POLICY, NOW)
    assert finding is not None and finding.effect is Effect.DEFER
    assert finding.until == closed + timedelta(days=28)
    assert cooling_off_elapsed(a_victim(), POLICY, NOW) is None
    decision = screen(a_victim(a_case(closed_at=closed)), POLICY, NOW)
    assert decision.verdict is Verdict.DEFERRED
    assert decision.deferred_until == closed + timedelta(days=28)


def test_a_victim_approached_within_the_contact_interval_is_deferred() -> None:
    approached = NOW - timedelta(days=30)
    finding = contact_frequency(a_victim(last_approached_at=approached), POLICY, NOW)
    assert finding is not None and finding.code is ReasonCode.APPROACHED_RECENTLY
    assert finding.until == approached + timedelta(days=180)
    long_ago = NOW - timedelta(days=181)
    assert contact_frequency(a_victim(last_approached_at=long_ago), POLICY, NOW) is None


def test_a_victim_on_the_do_not_contact_list_is_never_a_candidate() -> None:
    assert not_on_do_not_contact(a_victim(on_do_not_contact=True)) is not None
    assert not_on_do_not_contact(a_victim()) is None
    decision = screen(a_victim(on_do_not_contact=True), POLICY, NOW)
    assert decision.verdict is Verdict.EXCLUDED
    assert ReasonCode.DO_NOT_CONTACT in decision.reason_codes


def test_a_child_needs_a_guardians_consent() -> None:
    finding = guardian_consent(a_victim(a_case(child=True)))
    assert finding is not None and finding.effect is Effect.REQUIRE
    assert guardian_consent(a_victim(declared_child=True)) is not None
    assert guardian_consent(a_victim()) is None
    decision = screen(a_victim(a_case(child=True)), POLICY, NOW)
    assert decision.verdict is Verdict.IDENTIFIED and decision.child


def test_safeguarding_allows_contact_only_through_the_support_worker() -> None:
    flagged = a_case(safeguarding=True, support_worker_ref="sw-1")
    finding = safeguarding_route(a_victim(flagged))
    assert finding is not None and finding.code is ReasonCode.SUPPORT_WORKER_ONLY
    assert contact_route(a_victim(flagged)) == (ContactRoute.SUPPORT_WORKER, "sw-1")
    # Even a self-referrer with a safeguarding flag is reached through their worker.
    assert contact_route(a_victim(flagged, self_referred=True))[0] is ContactRoute.SUPPORT_WORKER
    alone = safeguarding_route(a_victim(a_case(safeguarding=True)))
    assert alone is not None and alone.effect is Effect.EXCLUDE
    assert safeguarding_route(a_victim()) is None


def test_contact_is_never_cold() -> None:
    nobody = a_case(oic_ref=None)
    assert has_contact_route(a_victim(nobody)) is not None
    assert has_contact_route(a_victim(nobody, self_referred=True)) is None
    assert contact_route(a_victim(nobody, nominated_worker_ref="sw-9")) == (
        ContactRoute.SUPPORT_WORKER,
        "sw-9",
    )


def test_a_self_referral_never_makes_a_victim_the_force_knows_reachable_directly() -> None:
    """The self-referral is then only a claim: anyone who knows the crime reference can make it."""
    worked = a_case(support_worker_ref="sw-1")
    assert contact_route(a_victim(worked, self_referred=True)) == (ContactRoute.DIRECT, None)
    known = {"self_referred": True, "known_to_force": True}
    assert contact_route(a_victim(worked, **known)) == (ContactRoute.SUPPORT_WORKER, "sw-1")
    assert contact_route(a_victim(**known)) == (ContactRoute.OFFICER_IN_CASE, "oic-1")
    nobody = a_victim(a_case(oic_ref=None), **known)
    assert screen(nobody, POLICY, NOW).reason_codes == (ReasonCode.NO_CONTACT_ROUTE,)


def test_one_victim_with_several_cases_is_blocked_by_any_of_them() -> None:
    good = a_case(case_ref="case-1")
    complained = a_case(case_ref="case-2", open_complaints=1, themes=frozenset())
    decision = screen(a_victim(good, complained), POLICY, NOW)
    assert decision.verdict is Verdict.EXCLUDED
    assert decision.reason_codes == (ReasonCode.OPEN_COMPLAINT,)


def test_a_nomination_never_moves_a_victim_from_the_service_supporting_them() -> None:
    by_case = a_victim(a_case(support_service_ref="service-a"))
    assert nomination_accepted(by_case, None, "service-a")
    assert not nomination_accepted(by_case, None, "service-b")
    by_nomination = a_victim(nominated_service_ref="service-a")
    assert not nomination_accepted(by_nomination, None, "service-b")
    assert not nomination_accepted(a_victim(), "service-a", "service-b")  # as last screened
    assert nomination_accepted(a_victim(), None, "service-b")  # nobody supports them yet
