"""Recurring themes: learning is a theme raised again and again, never one victim's story.

Decision (the issue leaves it open): a theme with a polarity *recurs* when, within the rolling
window ending now (default 365 days, by when the testimony was given), it was raised in at least
`min_testimonies` testimonies, across at least `min_panels` panels, by at least `k_anonymity`
distinct victims. It is published once per window: after a publication whose window ended at T,
the same theme/polarity is next considered at T + window, on the evidence of that new window.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from vfp_feedback.domain.themes import Polarity


@dataclass(frozen=True)
class Occurrence:
    """One tag on one testimony."""

    testimony_ref: str
    participant_ref: str
    panel_ref: str
    theme_code: str
    polarity: Polarity
    given_at: datetime


@dataclass(frozen=True)
class RecurrenceRules:
    min_testimonies: int = 3
    min_panels: int = 2
    window: timedelta = timedelta(days=365)
    k_anonymity: int = 3


@dataclass(frozen=True)
class Recurrence:
    theme_code: str
    polarity: Polarity
    testimony_count: int
    victim_count: int
    panel_count: int
    window_start: datetime
    window_end: datetime


def k_anonymous(victim_count: int, k: int) -> bool:
    """An aggregate may leave the service only when k distinct victims stand behind it."""
    return victim_count >= k


def recurrences(
    occurrences: Iterable[Occurrence],
    rules: RecurrenceRules,
    now: datetime,
    last_published: Mapping[tuple[str, Polarity], datetime],
) -> list[Recurrence]:
    """The theme/polarity pairs to publish now; `last_published` maps a pair to the end of the
    window of its latest publication."""
    start = now - rules.window
    grouped: dict[tuple[str, Polarity], list[Occurrence]] = defaultdict(list)
    for occurrence in occurrences:
        if start <= occurrence.given_at <= now:
            grouped[(occurrence.theme_code, occurrence.polarity)].append(occurrence)
    found = []
    for (code, polarity), items in sorted(grouped.items()):
        previous = last_published.get((code, polarity))
        if previous is not None and now < previous + rules.window:
            continue
        testimonies = {o.testimony_ref for o in items}
        victims = {o.participant_ref for o in items}
        panels = {o.panel_ref for o in items}
        if (
            len(testimonies) >= rules.min_testimonies
            and len(panels) >= rules.min_panels
            and k_anonymous(len(victims), rules.k_anonymity)
        ):
            found.append(
                Recurrence(code, polarity, len(testimonies), len(victims), len(panels), start, now)
            )
    return found
