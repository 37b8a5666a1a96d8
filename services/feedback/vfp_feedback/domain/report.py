"""Rules of the board report: small counts of victims are suppressed (k-anonymity)."""

from collections.abc import Mapping, Sequence


def suppressed(victims: int, k: int) -> int | None:
    """A count of victims, or None when fewer than k stand behind it (could identify them)."""
    return victims if victims >= k else None


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
