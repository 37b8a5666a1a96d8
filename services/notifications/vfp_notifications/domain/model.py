"""The notification, its channels and the recipients it goes to."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    EMAIL = "email"
    NOTIFY = "notify"
    TEAMS = "teams"
    WEBHOOK = "webhook"


# Channels that reach a person's inbox: these keep quiet hours, and are the only ones a message
# about a victim may take (a Teams channel or a downstream system is read by others).
PERSONAL_CHANNELS = frozenset({Channel.EMAIL, Channel.NOTIFY})

# Told, through a failed send in the delivery log, of a message about a victim that no one
# could be given (no supporter): victims are never contacted directly. Also told when a
# victim is taken off a panel, so they review its agenda and invitations.
COORDINATION_TEAM = "coordination-team"
VICTIM_WITHOUT_SUPPORTER = "victim_without_supporter"
# A victim's invitation that names no victim: no supporter can be asked to pass it on.
VICTIM_NOT_NAMED = "victim_not_named"


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Template(StrEnum):
    """One message each; rendered from templates/<name>.{subject.txt,txt,html}.j2."""

    CANDIDATE_APPROACH = "candidate_approach"
    INVITATION = "invitation"
    INVITATION_VIA_SUPPORTER = "invitation_via_supporter"
    PANEL_SCHEDULED = "panel_scheduled"
    PANEL_HELD = "panel_held"
    CASE_STUDY_SHARED = "case_study_shared"
    RECOGNITION = "recognition"
    RECOGNITION_LINE_MANAGER = "recognition_line_manager"
    ACTION_RAISED = "action_raised"
    ENDORSEMENT_REQUESTED = "endorsement_requested"
    YOU_SAID_WE_DID = "you_said_we_did"
    PARTICIPANT_REMOVED = "participant_removed"


@dataclass(frozen=True)
class CalendarInvite:
    """What the .ics attachment says; `uid` is the invitation (or panel) ref."""

    uid: str
    summary: str
    starts_at: str
    ends_at: str
    location: str


@dataclass(frozen=True)
class Intent:
    """Someone must hear something. `about_refs` names the victims it concerns (so their
    withdrawal can cancel it); it never names a victim as the recipient."""

    recipient_ref: str
    template: Template
    context: Mapping[str, Any]
    about_refs: tuple[str, ...] = ()
    invite: CalendarInvite | None = None
    # Set when no one can be told (e.g. VICTIM_WITHOUT_SUPPORTER): the send is logged as failed.
    unreachable: str | None = None


@dataclass(frozen=True)
class SupporterLink:
    """How a victim is reached: through their supporter, from participants.consent-given.
    Not at all while they are withdrawn or excluded."""

    supporter_ref: str | None
    direct_contact: bool = False
    withdrawn: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class DirectoryEntry:
    """A staff member, team, command area, service or partner contact. A group with no
    address of its own is reached through its members."""

    ref: str
    kind: str
    name: str
    email: str | None = None
    teams_webhook_url: str | None = None
    webhook_url: str | None = None
    channels: Sequence[Channel] = (Channel.EMAIL,)
    line_manager_ref: str | None = None
    member_refs: Sequence[str] = field(default_factory=tuple)
    organisation: str | None = None

    def address_for(self, channel: Channel) -> str | None:
        if channel in (Channel.EMAIL, Channel.NOTIFY):
            return self.email
        if channel is Channel.TEAMS:
            return self.teams_webhook_url
        return self.webhook_url


class DeliveryError(Exception):
    """A send did not go through. `reason_code` is safe to log and publish."""

    def __init__(self, reason_code: str):
        super().__init__(reason_code)
        self.reason_code = reason_code


class TransientFailure(DeliveryError):
    """Worth trying again later (SMTP 4xx, connection refused, HTTP 5xx/429)."""


class PermanentFailure(DeliveryError):
    """Trying again will not help (SMTP 5xx, HTTP 4xx, unknown recipient)."""


class UnknownEntry(LookupError):
    """No directory entry has this ref."""


class UnknownNotification(LookupError):
    """No notification has this ref."""


class NotRetryable(Exception):
    """Only a failed notification can be sent again, and only to someone reachable."""
