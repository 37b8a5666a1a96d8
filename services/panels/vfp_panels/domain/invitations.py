"""Invitations: victims through their support worker or OIC (never direct), staff audiences by
command area and rank/role, the CPS, partner agencies and the commissioned services."""

from dataclasses import dataclass
from datetime import datetime

from vfp_panels.domain.consent import Consent
from vfp_panels.domain.errors import Invalid
from vfp_shared.contracts.panels.vocabulary import InviteeKind
from vfp_shared.contracts.vocabulary import ContactRoute

ALL_ROLES = "all"


@dataclass(frozen=True)
class Invitation:
    ref: str
    panel_ref: str
    kind: InviteeKind
    created_at: datetime
    participant_ref: str | None = None
    contact_route: ContactRoute | None = None
    supporter_ref: str | None = None
    recipient_ref: str | None = None
    command_area_ref: str | None = None
    role: str | None = None

    @property
    def invitee_key(self) -> str:
        """Who is invited: one invitation per (panel, invitee), however often it is asked for."""
        return f"{self.kind}:{self.participant_ref or self.recipient_ref}"


def invite_victim(ref: str, panel_ref: str, consent: Consent | None, now: datetime) -> Invitation:
    if consent is None:
        raise Invalid(("body", "participant_ref"), "no consent on record for this participant")
    if not consent.reachable_through_supporter:
        raise Invalid(
            ("body", "participant_ref"),
            "a victim is invited through their support worker or OIC; none is on record",
        )
    return Invitation(
        ref,
        panel_ref,
        InviteeKind.VICTIM,
        now,
        participant_ref=consent.participant_ref,
        contact_route=consent.contact_route,
        supporter_ref=consent.supporter_ref,
    )


def invite_staff_audience(
    ref: str, panel_ref: str, command_area_ref: str, role: str | None, now: datetime
) -> Invitation:
    role = role or ALL_ROLES
    return Invitation(
        ref,
        panel_ref,
        InviteeKind.STAFF_AUDIENCE,
        now,
        recipient_ref=f"staff:{command_area_ref}:{role}",
        command_area_ref=command_area_ref,
        role=role,
    )


def invite_organisation(
    ref: str, panel_ref: str, kind: InviteeKind, recipient_ref: str, now: datetime
) -> Invitation:
    """The CPS, a partner agency or a commissioned service, by directory reference."""
    if kind in (InviteeKind.VICTIM, InviteeKind.STAFF_AUDIENCE):
        raise Invalid(("body", "kind"), f"{kind} is not an organisation")
    return Invitation(ref, panel_ref, kind, now, recipient_ref=recipient_ref)
