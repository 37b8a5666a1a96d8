from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.panels.vocabulary import InviteeKind, PanelFormat
from vfp_shared.contracts.vocabulary import ContactRoute


@event("panels.participant-invited", version=1, key="panel_ref")
class ParticipantInvitedV1(Contract):
    """An invitation to a panel. A victim (`participant_ref`) is invited through their supporter;
    anyone else is a directory reference (`recipient_ref`)."""

    invitation_ref: str
    panel_ref: str
    invitee_kind: InviteeKind
    participant_ref: str | None = None
    contact_route: ContactRoute | None = None
    supporter_ref: str | None = None
    recipient_ref: str | None = None
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    location: str
