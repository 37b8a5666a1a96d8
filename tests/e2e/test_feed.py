"""The simulator's force feed: pure, seeded, believable (unit tests, no Kafka)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from vfp_ops.simulator.feed import SERVICES, SHOWCASES, build_feed
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_same_seed_gives_the_same_feed_and_another_seed_another() -> None:
    one = build_feed(seed=7, size=200, now=NOW, run_id="r1")
    again = build_feed(seed=7, size=200, now=NOW, run_id="r1")
    other = build_feed(seed=8, size=200, now=NOW, run_id="r1")
    assert [c.event for c in one.cases] == [c.event for c in again.cases]
    assert [c.traceparent for c in one.cases] == [c.traceparent for c in again.cases]
    assert [c.event for c in one.cases] != [c.event for c in other.cases]
    next_run = build_feed(seed=7, size=200, now=NOW, run_id="r2")
    assert not {c.trace_id for c in one.cases} & {c.trace_id for c in next_run.cases}


def test_about_size_events_with_a_believable_mix() -> None:
    feed = build_feed(seed=2021, size=200, now=NOW, run_id="r1")
    assert 190 <= len(feed.stream()) <= 210
    cases = [c.event for c in feed.cases]
    pending = sum(c.justice_status is not JusticeStatus.FINALISED for c in cases)
    assert 0.1 <= pending / len(cases) <= 0.3  # ~20% still in the justice system
    assert any(c.age_band is AgeBand.CHILD for c in cases)
    assert any(c.safeguarding for c in cases)
    recent = sum(c.closed_at > NOW - timedelta(days=28) for c in cases)
    assert 0 < recent < len(cases) / 3  # mostly past the cooling-off
    mix = feed.mix()
    for theme in ("domestic_abuse", "sexual_offence", "stalking_harassment", "hate_crime"):
        assert mix.get(theme, 0) > 0, theme
    assert mix["out_of_scope"] > 0
    assert {n.service_ref for n in feed.nominations} <= set(SERVICES)
    assert feed.flags and feed.referrals and feed.complaints and feed.reopenings
    months = {r.referred_at.strftime("%Y-%m") for r in feed.referrals}
    assert len(months) >= 3


def test_every_case_has_its_own_trace_and_refs_carry_the_run() -> None:
    feed = build_feed(seed=1, size=120, now=NOW, run_id="abc123")
    traces = [c.trace_id for c in feed.cases]
    assert len(set(traces)) == len(traces)
    assert all(len(t) == 32 for t in traces)
    assert all(c.event.victim_ref.startswith("sim-abc123-") for c in feed.cases)
    assert all(c.event.oic_ref.startswith("sim-abc123-") for c in feed.cases)
    # Safeguarding always comes with a support worker (so every candidate has a supporter).
    assert all(c.event.support_worker_ref for c in feed.cases if c.event.safeguarding)


def test_the_showcase_victims_are_in_every_feed_with_a_supporter_of_their_own() -> None:
    feed = build_feed(seed=99, size=20, now=NOW, run_id="r")
    keys = [c.showcase for c in feed.cases if c.showcase]
    assert keys == [s.key for s in SHOWCASES]
    supporters = Counter(c.event.support_worker_ref or c.event.oic_ref for c in feed.cases)
    for key in keys:
        case = feed.showcase(key).event
        assert supporters[case.support_worker_ref or case.oic_ref] == 1, key
    assert feed.showcase("pending_court").event.justice_status is JusticeStatus.PENDING_COURT
    assert feed.showcase("child").event.age_band is AgeBand.CHILD
    assert feed.complaints[0].case_ref == feed.showcase("complaint").event.case_ref
    assert feed.reopenings[0].case_ref == feed.showcase("reopened").event.case_ref
