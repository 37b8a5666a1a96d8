"""The HTTP API's request and response bodies (pydantic names the field at fault on a 422)."""

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.attendance import AttendanceSummary, Attendee
from vfp_panels.domain.consent import Consent
from vfp_panels.domain.invitations import Invitation
from vfp_panels.domain.model import Panel, PanelStatus
from vfp_panels.service_layer.handlers import ServiceSlot
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind, InviteeKind, PanelFormat
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode

# A pseudonymous reference: never a name, so no spaces.
Ref = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/-]+$")
]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^\r\n]+$")]


class PanelIn(BaseModel):
    title: Label
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    format: PanelFormat
    meeting_link: (
        Annotated[str, StringConstraints(max_length=500, pattern=r"^https://\S+$")] | None
    ) = None
    venue: Label | None = None
    themes: list[FocusTheme] = Field(min_length=1)
    lead_ref: Ref = Field(description="The panel lead (a detective inspector)")
    coordinator_refs: list[Ref] = []
    case_study_capacity: int = Field(default=3, ge=0, le=20)
    command_area_refs: list[Ref] = Field(default=[], description="Command areas invited")
    organisation_refs: list[Ref] = Field(default=[], description="CPS, partners, services")


class TimesIn(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class AgendaItemIn(BaseModel):
    kind: AgendaItemKind
    minutes: int = Field(ge=1, le=600)
    participant_ref: Ref | None = Field(default=None, description="case_study only")
    mode: ParticipationMode | None = Field(default=None, description="case_study only")
    media_ref: Ref | None = Field(default=None, description="pre-recorded case study only")
    service_ref: Ref | None = Field(default=None, description="service_slot only")

    def to_domain(self) -> AgendaItem:
        return AgendaItem(
            self.kind,
            self.minutes,
            self.participant_ref,
            self.service_ref,
            self.mode,
            self.media_ref,
        )


class AgendaIn(BaseModel):
    items: list[AgendaItemIn] = Field(max_length=60)


class AgendaItemOut(BaseModel):
    position: int
    kind: AgendaItemKind
    minutes: int
    starts_at: datetime
    participant_ref: str | None = None
    mode: ParticipationMode | None = None
    media_ref: str | None = None
    service_ref: str | None = None


class AgendaOut(BaseModel):
    published_at: datetime | None
    total_minutes: int
    items: list[AgendaItemOut]


class AlertOut(BaseModel):
    alert_ref: str
    kind: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class PanelOut(BaseModel):
    panel_ref: str
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    meeting_link: str | None
    venue: str | None
    themes: list[FocusTheme]
    lead_ref: str
    coordinator_refs: list[str]
    command_area_refs: list[str]
    organisation_refs: list[str]
    case_study_capacity: int
    status: PanelStatus
    cancel_reason_code: str | None
    cancelled_at: datetime | None
    held_at: datetime | None
    recording_ref: str | None = Field(description="Staff only")
    agenda: AgendaOut
    alerts: list[AlertOut] = Field(description="For the lead and coordinators only")

    @classmethod
    def of(cls, panel: Panel, *, organiser: bool) -> "PanelOut":
        """Staff see the agenda without who tells which case study, and no alerts."""
        items, clock = [], panel.starts_at
        for position, item in enumerate(panel.agenda):
            items.append(
                AgendaItemOut(
                    position=position,
                    kind=item.kind,
                    minutes=item.minutes,
                    starts_at=clock,
                    participant_ref=item.participant_ref if organiser else None,
                    mode=item.mode,
                    media_ref=item.media_ref if organiser else None,
                    service_ref=item.service_ref,
                )
            )
            clock += timedelta(minutes=item.minutes)
        return cls(
            panel_ref=panel.ref,
            title=panel.title,
            starts_at=panel.starts_at,
            ends_at=panel.ends_at,
            format=panel.format,
            meeting_link=panel.meeting_link,
            venue=panel.venue,
            themes=panel.themes,
            lead_ref=panel.lead_ref,
            coordinator_refs=panel.coordinator_refs,
            command_area_refs=panel.command_area_refs,
            organisation_refs=panel.organisation_refs,
            case_study_capacity=panel.case_study_capacity,
            status=panel.status,
            cancel_reason_code=panel.cancel_reason_code,
            cancelled_at=panel.cancelled_at,
            held_at=panel.held_at,
            recording_ref=panel.recording_ref,
            agenda=AgendaOut(
                published_at=panel.agenda_published_at,
                total_minutes=panel.agenda_minutes,
                items=items,
            ),
            alerts=[
                AlertOut(
                    alert_ref=a.ref,
                    kind=a.kind,
                    raised_at=a.raised_at,
                    acknowledged_at=a.acknowledged_at,
                    acknowledged_by=a.acknowledged_by,
                )
                for a in panel.alerts
            ]
            if organiser
            else [],
        )


class ProposedDate(BaseModel):
    starts_at: datetime
    ends_at: datetime


class ProposalsOut(BaseModel):
    per_year: int
    proposals: list[ProposedDate]


class BrokenRuleOut(BaseModel):
    rule: str
    message: str


class AgendaChecksOut(BaseModel):
    ready: bool
    broken: list[BrokenRuleOut]


class InvitationIn(BaseModel):
    kind: InviteeKind
    participant_ref: Ref | None = Field(default=None, description="victim")
    command_area_ref: Ref | None = Field(default=None, description="staff_audience")
    role: Ref | None = Field(default=None, description="staff_audience: rank/role, or all")
    recipient_ref: Ref | None = Field(default=None, description="cps, partner, support_service")


class InvitationOut(BaseModel):
    invitation_ref: str
    panel_ref: str
    kind: InviteeKind
    participant_ref: str | None
    contact_route: ContactRoute | None
    supporter_ref: str | None
    recipient_ref: str | None
    command_area_ref: str | None
    role: str | None
    created_at: datetime
    ics_path: str

    @classmethod
    def of(cls, invitation: Invitation) -> "InvitationOut":
        return cls(
            invitation_ref=invitation.ref,
            panel_ref=invitation.panel_ref,
            kind=invitation.kind,
            participant_ref=invitation.participant_ref,
            contact_route=invitation.contact_route,
            supporter_ref=invitation.supporter_ref,
            recipient_ref=invitation.recipient_ref,
            command_area_ref=invitation.command_area_ref,
            role=invitation.role,
            created_at=invitation.created_at,
            ics_path=f"/panels/{invitation.panel_ref}/invitations/{invitation.ref}.ics",
        )


class RegistrationIn(BaseModel):
    command_area_ref: Ref | None = None
    role: Ref | None = Field(default=None, description="Rank or role")
    organisation_ref: Ref | None = None


class RegistrationOut(BaseModel):
    panel_ref: str
    attendee_ref: str
    new: bool = Field(description="False when this repeats an earlier registration")


class AttendeeIn(BaseModel):
    attendee_ref: Ref
    command_area_ref: Ref | None = None
    role: Ref | None = None
    organisation_ref: Ref | None = None

    def to_domain(self) -> Attendee:
        return Attendee(self.attendee_ref, self.command_area_ref, self.role, self.organisation_ref)


def each_attendee_once(attendees: list[AttendeeIn]) -> list[AttendeeIn]:
    """Each attendee once: of two rows for one person, which would count is unclear."""
    counted = Counter(a.attendee_ref for a in attendees)
    repeated = sorted(ref for ref, times in counted.items() if times > 1)
    if repeated:
        raise ValueError(f"each attendee is listed once; repeated: {', '.join(repeated)}")
    return attendees


Attendees = Annotated[list[AttendeeIn], AfterValidator(each_attendee_once)]


class AttendeeOut(BaseModel):
    attendee_ref: str
    command_area_ref: str | None
    role: str | None
    organisation_ref: str | None

    @classmethod
    def of(cls, attendee: Attendee) -> "AttendeeOut":
        return cls(
            attendee_ref=attendee.attendee_ref,
            command_area_ref=attendee.command_area_ref,
            role=attendee.role,
            organisation_ref=attendee.organisation_ref,
        )


class AttendanceIn(BaseModel):
    attendees: Attendees = Field(min_length=1, max_length=5000)


class AttendanceOut(BaseModel):
    panel_ref: str
    total: int
    attendee_refs: list[str]
    by_command_area: dict[str, int]
    by_role: dict[str, int]
    by_organisation: dict[str, int]

    @classmethod
    def of(cls, panel_ref: str, summary: AttendanceSummary) -> "AttendanceOut":
        return cls(
            panel_ref=panel_ref,
            total=summary.total,
            attendee_refs=list(summary.attendee_refs),
            by_command_area=summary.by_command_area,
            by_role=summary.by_role,
            by_organisation=summary.by_organisation,
        )


class HeldIn(BaseModel):
    recording_ref: Ref = Field(description="Where the recording is kept; shown to staff only")
    attendees: Attendees = Field(default=[], max_length=5000)


class CancelIn(BaseModel):
    reason_code: Code = Field(description="e.g. too_few_participants, operational_demand")


class PoolEntryOut(BaseModel):
    participant_ref: str
    mode: ParticipationMode
    themes: list[FocusTheme]
    contact_route: ContactRoute
    supporter_ref: str | None
    support_service_ref: str | None
    given_at: datetime

    @classmethod
    def of(cls, consent: Consent) -> "PoolEntryOut":
        return cls(
            participant_ref=consent.participant_ref,
            mode=consent.mode,
            themes=list(consent.themes),
            contact_route=consent.contact_route,
            supporter_ref=consent.supporter_ref,
            support_service_ref=consent.support_service_ref,
            given_at=consent.given_at,
        )


class ServiceSlotOut(BaseModel):
    panel_ref: str
    title: str
    panel_status: PanelStatus
    position: int
    starts_at: datetime
    minutes: int
    agenda_published: bool
    meeting_link: str | None
    venue: str | None

    @classmethod
    def of(cls, slot: ServiceSlot) -> "ServiceSlotOut":
        panel = slot.panel
        return cls(
            panel_ref=panel.ref,
            title=panel.title,
            panel_status=panel.status,
            position=slot.position,
            starts_at=slot.starts_at,
            minutes=slot.minutes,
            agenda_published=panel.agenda_published_at is not None,
            meeting_link=panel.meeting_link,
            venue=panel.venue,
        )
