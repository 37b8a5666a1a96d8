"""What happened in the panels domain (past tense). The outgoing adapter turns each into its
public contract; the unit of work writes them to the outbox with the change."""

from dataclasses import dataclass
from datetime import datetime

from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.attendance import AttendanceSummary
from vfp_panels.domain.invitations import Invitation
from vfp_shared.contracts.panels.vocabulary import PanelFormat
from vfp_shared.contracts.vocabulary import FocusTheme


@dataclass(frozen=True)
class PanelScheduled:
    panel_ref: str
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    themes: tuple[FocusTheme, ...]
    lead_ref: str
    command_area_refs: tuple[str, ...]
    organisation_refs: tuple[str, ...]


@dataclass(frozen=True)
class AgendaPublished:
    panel_ref: str
    items: tuple[AgendaItem, ...]
    published_at: datetime


@dataclass(frozen=True)
class ParticipantInvited:
    invitation: Invitation
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    location: str


@dataclass(frozen=True)
class ParticipantRemoved:
    panel_ref: str
    participant_ref: str
    reason_code: str
    removed_at: datetime


@dataclass(frozen=True)
class PanelHeld:
    panel_ref: str
    title: str
    held_at: datetime
    recording_ref: str
    attendance: AttendanceSummary


@dataclass(frozen=True)
class PanelCancelled:
    panel_ref: str
    reason_code: str
    cancelled_at: datetime


Event = (
    PanelScheduled
    | AgendaPublished
    | ParticipantInvited
    | ParticipantRemoved
    | PanelHeld
    | PanelCancelled
)
