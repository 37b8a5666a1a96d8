"""The panel aggregate: its details, lifecycle, agenda and alerts. Plain Python; time passed in."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from vfp_panels.domain.agenda import AgendaItem, check_item
from vfp_panels.domain.agenda_rules import AgendaFacts, broken_rules
from vfp_panels.domain.attendance import AttendanceSummary
from vfp_panels.domain.errors import (
    AgendaDoesNotFit,
    AgendaRulesBroken,
    AttendanceClosed,
    IllegalTransition,
    Invalid,
    NotYetStarted,
    RegistrationClosed,
)
from vfp_panels.domain.events import (
    AgendaPublished,
    Event,
    PanelCancelled,
    PanelHeld,
    PanelScheduled,
    ParticipantInvited,
    ParticipantRemoved,
)
from vfp_panels.domain.invitations import Invitation
from vfp_shared.contracts.panels.vocabulary import PanelFormat
from vfp_shared.contracts.vocabulary import FocusTheme

REMOVED_CONSENT_WITHDRAWN = "consent_withdrawn"
REMOVED_CANDIDATE_EXCLUDED = "candidate_excluded"
# The alert a near panel raises when a victim withdraws from it, or is excluded from it.
PARTICIPANT_WITHDRAWN = "participant_withdrawn"
PARTICIPANT_EXCLUDED = "participant_excluded"


class PanelStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    HELD = "held"
    CLOSED = "closed"
    CANCELLED = "cancelled"


UPCOMING = frozenset({PanelStatus.DRAFT, PanelStatus.SCHEDULED})


@dataclass
class Alert:
    """Something the coordinators must see on the panel, e.g. a victim withdrew close to it."""

    ref: str
    kind: str
    raised_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


@dataclass
class Panel:
    ref: str
    organisation: str | None
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    themes: list[FocusTheme]
    lead_ref: str
    case_study_capacity: int
    meeting_link: str | None = None
    venue: str | None = None
    coordinator_refs: list[str] = field(default_factory=list)
    command_area_refs: list[str] = field(default_factory=list)
    organisation_refs: list[str] = field(default_factory=list)
    status: PanelStatus = PanelStatus.DRAFT
    agenda: list[AgendaItem] = field(default_factory=list)
    agenda_published_at: datetime | None = None
    cancel_reason_code: str | None = None
    cancelled_at: datetime | None = None
    recording_ref: str | None = None
    held_at: datetime | None = None
    # Raised by each change calendars must pick up (a move, the cancellation).
    calendar_sequence: int = 0
    alerts: list[Alert] = field(default_factory=list)
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_details(self)

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def agenda_minutes(self) -> int:
        return sum(item.minutes for item in self.agenda)

    @property
    def location(self) -> str:
        """Where to go: the venue, the meeting link, or both for a hybrid panel."""
        return " / ".join(p for p in (self.venue, self.meeting_link) if p)

    def _transition(self, to: PanelStatus, action: str, allowed_from: set[PanelStatus]) -> None:
        if self.status not in allowed_from:
            raise IllegalTransition(self.status, action)
        self.status = to

    def schedule(self) -> None:
        self._transition(PanelStatus.SCHEDULED, "schedule", {PanelStatus.DRAFT})
        self._announce()

    def move_to(self, starts_at: datetime, ends_at: datetime) -> None:
        """New times (the caller checks clashes); a scheduled panel announces them again. A
        published agenda must still fit: it was announced as it is."""
        if self.status not in UPCOMING:
            raise IllegalTransition(self.status, "move")
        self.starts_at, self.ends_at = starts_at, ends_at
        check_details(self)
        if self.agenda_published_at is not None and self.agenda_minutes > self.minutes:
            raise AgendaDoesNotFit(self.agenda_minutes, self.minutes)
        self.calendar_sequence += 1
        if self.status == PanelStatus.SCHEDULED:
            self._announce()

    def _announce(self) -> None:
        self.events.append(
            PanelScheduled(
                self.ref,
                self.title,
                self.starts_at,
                self.ends_at,
                self.format,
                tuple(self.themes),
                self.lead_ref,
                tuple(self.command_area_refs),
                tuple(self.organisation_refs),
            )
        )

    def replace_agenda(self, items: list[AgendaItem], consented: Collection[str]) -> None:
        """A new draft agenda; it must be published again before it counts. Each case study's
        victim is in the pool (`consented`) now, not only when it is published."""
        if self.status not in UPCOMING:
            raise IllegalTransition(self.status, "change the agenda of")
        for position, item in enumerate(items):
            check_item(position, item)
        seen: set[str] = set()
        for position, item in enumerate(items):
            if item.participant_ref is not None:
                if item.participant_ref in seen:
                    raise Invalid(
                        ("body", "items", position, "participant_ref"),
                        "a victim has one case study per panel",
                    )
                if item.participant_ref not in consented:
                    raise Invalid(
                        ("body", "items", position, "participant_ref"),
                        "no consent on record for this victim (withdrawn, excluded or never given)",
                    )
                seen.add(item.participant_ref)
        self.agenda = list(items)
        self.agenda_published_at = None

    def publish_agenda(self, facts: AgendaFacts, now: datetime) -> None:
        if self.status != PanelStatus.SCHEDULED:
            raise IllegalTransition(self.status, "publish the agenda of")
        if self.agenda_published_at is not None:
            return  # this very agenda is out already: publishing twice announces it once
        broken = broken_rules(facts)
        if broken:
            raise AgendaRulesBroken(broken)
        self.agenda_published_at = now
        self.events.append(AgendaPublished(self.ref, tuple(self.agenda), now))

    def remove_participant(
        self, participant_ref: str, reason_code: str, now: datetime, near: timedelta, alert_ref: str
    ) -> None:
        """Take a victim off the agenda at once, whatever the panel's state (their invitation
        goes with them). An upcoming panel announces it; a near one also raises an alert."""
        self.agenda = [item for item in self.agenda if item.participant_ref != participant_ref]
        if self.status not in UPCOMING:
            return
        self._announce_removal(
            participant_ref, reason_code, PARTICIPANT_WITHDRAWN, now, near, alert_ref
        )

    def exclude_participant(
        self, participant_ref: str, now: datetime, near: timedelta, alert_ref: str
    ) -> None:
        """The participants service excluded a victim (a complaint, a reopened case, a
        coordinator's decision): off the agenda of a panel not yet held, announced like a
        withdrawal. Not an erasure: a held or cancelled panel keeps its record."""
        if self.status not in UPCOMING:
            return
        self.agenda = [item for item in self.agenda if item.participant_ref != participant_ref]
        self._announce_removal(
            participant_ref, REMOVED_CANDIDATE_EXCLUDED, PARTICIPANT_EXCLUDED, now, near, alert_ref
        )

    def _announce_removal(
        self,
        participant_ref: str,
        reason_code: str,
        alert_kind: str,
        now: datetime,
        near: timedelta,
        alert_ref: str,
    ) -> None:
        if self.starts_at - now <= near:
            self.alerts.append(Alert(alert_ref, alert_kind, now))
        self.events.append(ParticipantRemoved(self.ref, participant_ref, reason_code, now))

    def acknowledge(self, alert_ref: str, by: str, now: datetime) -> Alert | None:
        for alert in self.alerts:
            if alert.ref == alert_ref:
                if alert.acknowledged_at is None:
                    alert.acknowledged_at, alert.acknowledged_by = now, by
                return alert
        return None

    def check_can_be_held(self, now: datetime) -> None:
        if self.status != PanelStatus.SCHEDULED:
            raise IllegalTransition(self.status, "mark held")
        if now < self.starts_at:
            raise NotYetStarted()

    def mark_held(self, recording_ref: str, attendance: AttendanceSummary, now: datetime) -> None:
        self.check_can_be_held(now)
        self.status = PanelStatus.HELD
        self.held_at = now
        self.recording_ref = recording_ref
        self.events.append(PanelHeld(self.ref, self.title, now, recording_ref, attendance))

    def invite(self, invitation: Invitation) -> None:
        """Send a new invitation (only once the panel is scheduled)."""
        if self.status != PanelStatus.SCHEDULED:
            raise IllegalTransition(self.status, "send invitations for")
        self.events.append(
            ParticipantInvited(
                invitation, self.title, self.starts_at, self.ends_at, self.format, self.location
            )
        )

    def check_open_for_registration(self, now: datetime) -> None:
        if self.status != PanelStatus.SCHEDULED:
            raise IllegalTransition(self.status, "register for")
        if now >= self.starts_at:
            raise RegistrationClosed()

    def check_attendance_recordable(self, now: datetime) -> None:
        """Once the panel started, until it is marked held: panel-held carries the attendance
        to the staff survey, so a row recorded later would never reach it."""
        if self.status == PanelStatus.HELD:
            raise AttendanceClosed()
        if self.status != PanelStatus.SCHEDULED:
            raise IllegalTransition(self.status, "record attendance at")
        if now < self.starts_at:
            raise NotYetStarted()

    def close(self) -> None:
        self._transition(PanelStatus.CLOSED, "close", {PanelStatus.HELD})

    def cancel(self, reason_code: str, now: datetime) -> None:
        self._transition(PanelStatus.CANCELLED, "cancel", set(UPCOMING))
        self.cancel_reason_code = reason_code
        self.cancelled_at = now
        self.calendar_sequence += 1
        self.events.append(PanelCancelled(self.ref, reason_code, now))


def check_details(panel: Panel) -> None:
    """A panel's own details: a real time window and where to go for its format."""
    if panel.ends_at <= panel.starts_at:
        raise Invalid(("body", "ends_at"), "ends_at must be after starts_at")
    if panel.format in (PanelFormat.ONLINE, PanelFormat.HYBRID) and not panel.meeting_link:
        raise Invalid(("body", "meeting_link"), f"a {panel.format} panel needs a meeting link")
    if panel.format in (PanelFormat.IN_PERSON, PanelFormat.HYBRID) and not panel.venue:
        raise Invalid(("body", "venue"), f"a {panel.format} panel needs a venue")
    if not panel.themes:
        raise Invalid(("body", "themes"), "a panel picks at least one focus theme")
