"""When panels happen: clash detection and the cadence that proposes the next dates."""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

SATURDAY = 5


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: "Window") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Cadence:
    """How often panels are held (twice a year by default) and their usual shape."""

    per_year: int = 2
    minutes: int = 180
    start_time: time = time(10, 0)
    # How far ahead the first panel of a new programme is proposed.
    first_lead: timedelta = timedelta(days=56)

    def __post_init__(self) -> None:
        if self.per_year < 1 or 12 % self.per_year:
            raise ValueError("panels per year must divide 12 (1, 2, 3, 4, 6 or 12)")

    @property
    def months_between(self) -> int:
        return 12 // self.per_year


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def propose_dates(
    cadence: Cadence, taken: Sequence[Window], now: datetime, count: int = 2
) -> list[Window]:
    """The next `count` panel dates: one cadence step after the latest panel (or a lead time
    from now for a first panel), each moved off the weekend to the next weekday."""
    latest = max((w.starts_at for w in taken), default=None)
    if latest is None:
        anchor = datetime.combine((now + cadence.first_lead).date(), cadence.start_time, UTC)
    else:
        anchor = add_months(latest, cadence.months_between)
        while anchor <= now:
            anchor = add_months(anchor, cadence.months_between)
    proposals = []
    for step in range(count):
        start = add_months(anchor, step * cadence.months_between)
        while start.weekday() >= SATURDAY:
            start += timedelta(days=1)
        proposals.append(Window(start, start + timedelta(minutes=cadence.minutes)))
    return proposals


def clashes(window: Window, others: Sequence[tuple[str, Window]]) -> list[str]:
    """The refs of the panels whose time overlaps this one."""
    return [ref for ref, other in others if window.overlaps(other)]
