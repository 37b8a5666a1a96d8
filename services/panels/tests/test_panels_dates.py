"""Clashes and the cadence that proposes the next panel dates (pure domain)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from vfp_panels.domain.dates import Cadence, Window, add_months, clashes, propose_dates

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def window(start: datetime, hours: int = 3) -> Window:
    return Window(start, start + timedelta(hours=hours))


def test_a_first_panel_is_proposed_a_lead_time_ahead_then_twice_a_year() -> None:
    first, second = propose_dates(Cadence(), [], NOW, count=2)
    assert first.starts_at == datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    assert first.ends_at - first.starts_at == timedelta(minutes=180)
    assert second.starts_at == datetime(2027, 7, 20, 10, 0, tzinfo=UTC)


def test_the_next_panel_follows_the_latest_by_the_cadence() -> None:
    latest = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)  # a Wednesday
    taken = [window(datetime(2026, 4, 15, 9, 30, tzinfo=UTC)), window(latest)]
    (proposal,) = propose_dates(Cadence(), taken, NOW, count=1)
    assert proposal.starts_at == datetime(2027, 4, 14, 9, 30, tzinfo=UTC)


def test_the_cadence_is_configurable() -> None:
    quarterly = Cadence(per_year=4, minutes=120, start_time=time(14, 0))
    proposals = propose_dates(quarterly, [window(datetime(2026, 11, 4, 14, tzinfo=UTC))], NOW, 3)
    assert [p.starts_at.month for p in proposals] == [2, 5, 8]
    assert all(p.ends_at - p.starts_at == timedelta(minutes=120) for p in proposals)


def test_a_cadence_must_divide_the_year() -> None:
    with pytest.raises(ValueError):
        Cadence(per_year=5)


def test_a_proposal_moves_off_the_weekend() -> None:
    latest = datetime(2026, 11, 15, 10, tzinfo=UTC)
    (proposal,) = propose_dates(Cadence(), [window(latest)], NOW, 1)
    assert datetime(2027, 5, 15, tzinfo=UTC).weekday() == 5  # six months on is a Saturday
    assert proposal.starts_at == datetime(2027, 5, 17, 10, tzinfo=UTC)


def test_an_old_programme_is_proposed_in_the_future() -> None:
    (proposal,) = propose_dates(Cadence(), [window(datetime(2024, 3, 6, 10, tzinfo=UTC))], NOW, 1)
    assert proposal.starts_at > NOW


def test_overlapping_windows_clash_and_touching_ones_do_not() -> None:
    start = datetime(2027, 3, 3, 10, tzinfo=UTC)
    others = [
        ("p-1", window(start + timedelta(hours=2))),
        ("p-2", window(start + timedelta(hours=3))),
    ]
    assert clashes(window(start), others) == ["p-1"]


def test_adding_months_keeps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
