"""Who came: registrations before the event, attendance after it, counted for the board."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attendee:
    """A staff member or guest, by pseudonymous reference, with what the counts are cut by."""

    attendee_ref: str
    command_area_ref: str | None = None
    role: str | None = None
    organisation_ref: str | None = None


@dataclass(frozen=True)
class AttendanceSummary:
    attendee_refs: tuple[str, ...]
    by_command_area: dict[str, int]
    by_role: dict[str, int]
    by_organisation: dict[str, int]

    @property
    def total(self) -> int:
        return len(self.attendee_refs)


def summarise(attendees: Iterable[Attendee]) -> AttendanceSummary:
    """Counts by command area, rank/role and organisation (missing values count as unknown)."""
    people = sorted(attendees, key=lambda a: a.attendee_ref)
    return AttendanceSummary(
        attendee_refs=tuple(a.attendee_ref for a in people),
        by_command_area=dict(Counter(a.command_area_ref or UNKNOWN for a in people)),
        by_role=dict(Counter(a.role or UNKNOWN for a in people)),
        by_organisation=dict(Counter(a.organisation_ref or UNKNOWN for a in people)),
    )
