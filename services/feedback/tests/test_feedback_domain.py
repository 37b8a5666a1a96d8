"""Unit tests of the feedback domain: plain Python, time passed in."""

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from vfp_feedback.domain.actions import ActionStatus, transition
from vfp_feedback.domain.consent import Consent, RecipientKind
from vfp_feedback.domain.errors import IllegalTransition, InvalidFeedback, ScopeNotGranted
from vfp_feedback.domain.recurrence import Occurrence, RecurrenceRules, recurrences
from vfp_feedback.domain.report import (
    suppressed,
    suppressed_breakdown,
    weighted_mean,
    whole_days,
)
from vfp_feedback.domain.survey import DEFAULT_QUESTIONS, split_answers, summarise
from vfp_feedback.domain.themes import Polarity, new_theme

NOW = datetime(2030, 6, 1, tzinfo=UTC)
RULES = RecurrenceRules(min_testimonies=3, min_panels=2, window=timedelta(days=365), k_anonymity=3)


def said(
    n: int,
    victim: str,
    panel: str,
    *,
    days_ago: int = 10,
    polarity: Polarity = Polarity.NEGATIVE,
    theme: str = "kept_informed",
) -> Occurrence:
    return Occurrence(f"t{n}", victim, panel, theme, polarity, NOW - timedelta(days=days_ago))


def test_a_theme_raised_by_three_victims_across_two_panels_recurs() -> None:
    found = recurrences(
        [said(1, "v1", "p1"), said(2, "v2", "p1"), said(3, "v3", "p2")], RULES, NOW, {}
    )
    assert [
        (r.theme_code, r.polarity, r.testimony_count, r.victim_count, r.panel_count) for r in found
    ] == [("kept_informed", Polarity.NEGATIVE, 3, 3, 2)]
    assert found[0].window_start == NOW - RULES.window and found[0].window_end == NOW


def test_fewer_testimonies_than_the_threshold_publish_nothing() -> None:
    assert recurrences([said(1, "v1", "p1"), said(2, "v2", "p2")], RULES, NOW, {}) == []


def test_k_minus_one_victims_publish_nothing_however_many_testimonies() -> None:
    occurrences = [said(n, f"v{n % 2}", f"p{n % 2}") for n in range(6)]
    assert recurrences(occurrences, RULES, NOW, {}) == []


def test_one_panel_is_not_recurrence() -> None:
    occurrences = [said(n, f"v{n}", "p1") for n in range(5)]
    assert recurrences(occurrences, RULES, NOW, {}) == []


def test_polarities_count_apart() -> None:
    occurrences = [
        said(1, "v1", "p1"),
        said(2, "v2", "p2"),
        said(3, "v3", "p2", polarity=Polarity.POSITIVE),
    ]
    assert recurrences(occurrences, RULES, NOW, {}) == []


def test_testimonies_older_than_the_window_do_not_count() -> None:
    occurrences = [said(1, "v1", "p1", days_ago=400), said(2, "v2", "p1"), said(3, "v3", "p2")]
    assert recurrences(occurrences, RULES, NOW, {}) == []


def test_k_victims_are_not_enough_below_the_testimony_threshold() -> None:
    rules = RecurrenceRules(
        min_testimonies=5, min_panels=2, window=timedelta(days=365), k_anonymity=3
    )
    four = [said(1, "v1", "p1"), said(2, "v2", "p1"), said(3, "v3", "p2"), said(4, "v1", "p2")]
    assert recurrences(four, rules, NOW, {}) == []
    [found] = recurrences([*four, said(5, "v2", "p2")], rules, NOW, {})
    assert (found.testimony_count, found.victim_count) == (5, 3)


def test_a_recurring_theme_is_published_once_per_window() -> None:
    occurrences = [said(1, "v1", "p1"), said(2, "v2", "p1"), said(3, "v3", "p2")]
    key = ("kept_informed", Polarity.NEGATIVE)
    assert recurrences(occurrences, RULES, NOW, {key: NOW - timedelta(days=30)}) == []
    later = NOW + timedelta(days=340)
    assert len(recurrences(occurrences, RULES, later, {key: NOW - timedelta(days=30)})) == 1


def consent(
    scopes: Collection[str], teams: Collection[str] = (), officers: Collection[str] = ()
) -> Consent:
    return Consent(
        "v1",
        "live",
        frozenset(scopes),
        "support_worker",
        "sw1",
        "svc1",
        frozenset(teams),
        frozenset(officers),
        NOW,
    )


def test_praise_needs_its_scope_and_a_named_officer() -> None:
    with pytest.raises(ScopeNotGranted):
        consent({"take_part"}, officers={"pc1"}).require_praise_for(RecipientKind.INDIVIDUAL, "pc1")
    granted = consent({"take_part", "praise_to_named_officers"}, officers={"pc1"})
    granted.require_praise_for(RecipientKind.INDIVIDUAL, "pc1")
    granted.require_praise_for(RecipientKind.FORCE, "force")
    with pytest.raises(ScopeNotGranted):
        granted.require_praise_for(RecipientKind.INDIVIDUAL, "pc2")


def test_a_case_study_goes_only_to_named_teams_under_its_scope() -> None:
    granted = consent({"case_study_to_named_teams"}, teams={"team-a", "team-b"})
    granted.require_case_study_for(["team-a"])
    with pytest.raises(ScopeNotGranted):
        granted.require_case_study_for(["team-a", "team-c"])
    with pytest.raises(ScopeNotGranted):
        consent({"take_part"}, teams={"team-a"}).require_case_study_for(["team-a"])


def test_survey_answers_are_checked_against_the_questions() -> None:
    scores, free = split_answers(
        DEFAULT_QUESTIONS,
        {"usefulness": 4, "will_change_practice": True, "comments": "more of this"},
    )
    assert scores == {"usefulness": 4, "will_change_practice": True}
    assert free == {"comments": "more of this"}
    for bad in (
        {"usefulness": 6},
        {"usefulness": True},
        {"will_change_practice": "yes"},
        {"nonsense": 1},
        {},
    ):
        with pytest.raises(InvalidFeedback) as refused:
            split_answers(DEFAULT_QUESTIONS, bad)
        assert refused.value.loc == ("body", "answers", *bad)


def test_survey_results_average_the_scales_and_count_the_yeses() -> None:
    results = {
        r.key: r
        for r in summarise(
            DEFAULT_QUESTIONS,
            [
                {"usefulness": 4, "will_change_practice": True},
                {"usefulness": 1, "will_change_practice": False},
                {"usefulness": 5},
            ],
        )
    }
    assert results["usefulness"].mean == 3.33 and results["usefulness"].answered == 3
    assert results["will_change_practice"].yes == 1
    assert results["will_change_practice"].answered == 2
    assert "comments" not in results


def test_a_completed_action_cannot_be_reopened() -> None:
    assert transition(ActionStatus.OPEN, ActionStatus.IN_PROGRESS) is ActionStatus.IN_PROGRESS
    with pytest.raises(IllegalTransition):
        transition(ActionStatus.COMPLETED, ActionStatus.OPEN)


def test_small_counts_of_victims_are_suppressed() -> None:
    assert suppressed(2, 3) is None and suppressed(3, 3) == 3
    assert weighted_mean([{"mean": 3.0, "answered": 2}, {"mean": 5.0, "answered": 1}]) == 3.67


def test_a_cell_under_k_cannot_be_worked_out_from_the_cells_beside_it() -> None:
    # Beside the total, one hidden cell is the total minus the others: the next-smallest goes.
    assert suppressed_breakdown({"live": 10, "pre_recorded": 2, "support_worker": 5}, 3) == {
        "live": 10,
        "pre_recorded": None,
        "support_worker": None,
    }
    # Two hidden cells adding up to k or more are safe as they are ...
    assert suppressed_breakdown({"live": 10, "pre_recorded": 2, "support_worker": 2}, 3) == {
        "live": 10,
        "pre_recorded": None,
        "support_worker": None,
    }
    # ... fewer than k: the next-smallest goes too.
    assert suppressed_breakdown({"a": 1, "b": 1, "c": 4, "d": 9}, 3) == {
        "a": None,
        "b": None,
        "c": None,
        "d": 9,
    }
    # 0 is no one: shown as 0, never hidden, never hidden in place of a cell under k.
    assert suppressed_breakdown({"positive": 2, "negative": 0}, 3) == {
        "positive": None,
        "negative": 0,
    }
    assert suppressed_breakdown({"live": 10, "pre_recorded": 2, "support_worker": 0}, 3) == {
        "live": None,
        "pre_recorded": None,
        "support_worker": 0,
    }
    assert suppressed_breakdown({"positive": 0, "negative": 3}, 3) == {
        "positive": 0,
        "negative": 3,
    }
    assert suppressed_breakdown({"live": 4, "pre_recorded": 3}, 3) == {
        "live": 4,
        "pre_recorded": 3,
    }


def test_a_report_period_is_widened_to_whole_utc_days() -> None:
    assert whole_days(NOW + timedelta(hours=9), NOW + timedelta(days=2, minutes=1)) == (
        NOW,
        NOW + timedelta(days=3),
    )
    assert whole_days(NOW, NOW + timedelta(days=1)) == (NOW, NOW + timedelta(days=1))


def test_a_new_theme_must_name_a_real_right() -> None:
    assert new_theme("interpreters", "Interpreters", 1).victims_code_right == 1
    with pytest.raises(InvalidFeedback) as right:
        new_theme("interpreters", "Interpreters", 13)
    assert right.value.loc == ("body", "victims_code_right")
    with pytest.raises(InvalidFeedback) as code:
        new_theme("Bad Code", "x", None)
    assert code.value.loc == ("body", "code")
