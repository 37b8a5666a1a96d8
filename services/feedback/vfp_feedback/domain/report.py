"""Rules of the board report: small counts of victims are suppressed (k-anonymity)."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta


def suppressed(victims: int, k: int) -> int | None:
    """A count of victims, or None when fewer than k stand behind it (could identify them)."""
    return victims if victims >= k else None


def suppressed_breakdown(victims: Mapping[str, int], k: int) -> dict[str, int | None]:
    """Counts of victims per cell of a breakdown (by mode, by polarity) shown beside a total:
    cells of 1 to k-1 are hidden (None), and so is the next-smallest non-zero cell while the
    hidden ones could be worked out by subtraction (only one hidden) or add up to fewer than k.
    0 stays 0: no one stands behind it, and hiding it would not hide anyone else."""
    hidden = {cell for cell, n in victims.items() if 0 < n < k}
    shown = sorted((n, cell) for cell, n in victims.items() if n >= k)
    while hidden and shown and (len(hidden) == 1 or sum(victims[c] for c in hidden) < k):
        hidden.add(shown.pop(0)[1])
    return {cell: None if cell in hidden else n for cell, n in victims.items()}


def whole_days(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The period widened to whole UTC days: periods a few minutes apart cannot be compared
    to single out the victims heard in between."""
    start = datetime.combine(since.astimezone(UTC).date(), time(), UTC)
    end = datetime.combine(until.astimezone(UTC).date(), time(), UTC)
    return start, end if end == until else end + timedelta(days=1)


def weighted_mean(items: Sequence[Mapping[str, float | int | None]]) -> float | None:
    """The mean over every answer, from per-panel means weighted by how many answered."""
    answered = sum(int(item["answered"] or 0) for item in items if item["mean"] is not None)
    if not answered:
        return None
    total = sum(
        float(item["mean"] or 0) * int(item["answered"] or 0)
        for item in items
        if item["mean"] is not None
    )
    return round(total / answered, 2)
