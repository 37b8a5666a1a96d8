"""Domain events → the public contracts the outbox publishes (pseudonymous references only)."""

from vfp_panels.domain.events import (
    AgendaPublished,
    Event,
    PanelCancelled,
    PanelHeld,
    PanelScheduled,
    ParticipantInvited,
    ParticipantRemoved,
)
from vfp_shared.contracts import (
    AgendaItemV1,
    AgendaPublishedV1,
    Contract,
    PanelCancelledV1,
    PanelHeldV1,
    PanelScheduledV1,
    ParticipantInvitedV1,
    ParticipantRemovedV1,
)

OUTGOING: list[type[Contract]] = [
    PanelScheduledV1,
    AgendaPublishedV1,
    ParticipantInvitedV1,
    ParticipantRemovedV1,
    PanelHeldV1,
    PanelCancelledV1,
]


def to_contract(event: Event) -> Contract:
    match event:
        case PanelScheduled():
            return PanelScheduledV1(
                panel_ref=event.panel_ref,
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                format=event.format,
                themes=list(event.themes),
                lead_ref=event.lead_ref,
                command_area_refs=list(event.command_area_refs),
                organisation_refs=list(event.organisation_refs),
            )
        case AgendaPublished():
            return AgendaPublishedV1(
                panel_ref=event.panel_ref,
                items=[
                    AgendaItemV1(
                        position=position,
                        kind=item.kind,
                        minutes=item.minutes,
                        participant_ref=item.participant_ref,
                        service_ref=item.service_ref,
                        mode=item.mode,
                    )
                    for position, item in enumerate(event.items)
                ],
                published_at=event.published_at,
            )
        case ParticipantInvited():
            invitation = event.invitation
            return ParticipantInvitedV1(
                invitation_ref=invitation.ref,
                panel_ref=invitation.panel_ref,
                invitee_kind=invitation.kind,
                participant_ref=invitation.participant_ref,
                contact_route=invitation.contact_route,
                supporter_ref=invitation.supporter_ref,
                recipient_ref=invitation.recipient_ref,
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                format=event.format,
                location=event.location,
            )
        case ParticipantRemoved():
            return ParticipantRemovedV1(
                panel_ref=event.panel_ref,
                participant_ref=event.participant_ref,
                reason_code=event.reason_code,
                removed_at=event.removed_at,
            )
        case PanelHeld():
            attendance = event.attendance
            return PanelHeldV1(
                panel_ref=event.panel_ref,
                title=event.title,
                held_at=event.held_at,
                recording_ref=event.recording_ref,
                attendee_refs=list(attendance.attendee_refs),
                attendance_by_command_area=attendance.by_command_area,
                attendance_by_role=attendance.by_role,
                attendance_by_organisation=attendance.by_organisation,
            )
        case PanelCancelled():
            return PanelCancelledV1(
                panel_ref=event.panel_ref,
                reason_code=event.reason_code,
                cancelled_at=event.cancelled_at,
            )
