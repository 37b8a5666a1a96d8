"""What people ask the panels service to do (imperative), built by the entry points."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.attendance import Attendee
from vfp_shared.contracts.panels.vocabulary import InviteeKind, PanelFormat
from vfp_shared.contracts.vocabulary import FocusTheme


@dataclass(frozen=True)
class CreatePanel:
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    themes: Sequence[FocusTheme]
    lead_ref: str
    case_study_capacity: int
    meeting_link: str | None = None
    venue: str | None = None
    coordinator_refs: Sequence[str] = ()
    command_area_refs: Sequence[str] = ()
    organisation_refs: Sequence[str] = ()
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """What is asked for, without the key (the same instant in another offset is the same
        request): a repeat under one Idempotency-Key must ask the same."""

        def plain(value: object) -> str:
            return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)

        asked = asdict(replace(self, idempotency_key=None))
        canonical = json.dumps(asked, sort_keys=True, default=plain)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ReplaceAgenda:
    panel_ref: str
    items: Sequence[AgendaItem]


@dataclass(frozen=True)
class Invite:
    """`participant_ref` for a victim; `command_area_ref` (and `role`) for a staff audience;
    `recipient_ref` for the CPS, a partner agency or a commissioned service."""

    panel_ref: str
    kind: InviteeKind
    participant_ref: str | None = None
    command_area_ref: str | None = None
    role: str | None = None
    recipient_ref: str | None = None


@dataclass(frozen=True)
class Register:
    panel_ref: str
    attendee: Attendee


@dataclass(frozen=True)
class RecordAttendance:
    panel_ref: str
    attendees: Sequence[Attendee]


@dataclass(frozen=True)
class MarkHeld:
    panel_ref: str
    recording_ref: str
    attendees: Sequence[Attendee] = field(default_factory=tuple)


@dataclass(frozen=True)
class CancelPanel:
    panel_ref: str
    reason_code: str
