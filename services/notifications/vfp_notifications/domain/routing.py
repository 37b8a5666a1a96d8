"""Who hears what: one rule per event type, pure. A victim is never a recipient: they are
reached through their supporter (OIC or support worker), or not at all (and then the
coordination team learns of it)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from vfp_notifications.domain.model import (
    COORDINATION_TEAM,
    VICTIM_NOT_NAMED,
    VICTIM_WITHOUT_SUPPORTER,
    CalendarInvite,
    DirectoryEntry,
    Intent,
    SupporterLink,
    Template,
)
from vfp_shared.contracts import (
    ActionCompletedV1,
    ActionRaisedV1,
    CandidateIdentifiedV1,
    CaseStudySharedV1,
    Contract,
    EndorsementRequestedV1,
    PanelHeldV1,
    PanelScheduledV1,
    ParticipantInvitedV1,
    ParticipantRemovedV1,
    RecognitionAwardedV1,
)
from vfp_shared.contracts.panels.vocabulary import InviteeKind


@dataclass(frozen=True)
class Known:
    """What routing needs beyond the event: supporters by victim, line managers by staff ref."""

    supporters: Mapping[str, SupporterLink] = field(default_factory=dict)
    line_managers: Mapping[str, str] = field(default_factory=dict)


def victims_named(data: Contract) -> list[str]:
    """The victims (participant refs) an event's messages are about: locked while they are
    queued, and stopped by their withdrawal or exclusion. A removal from a panel names none:
    its message is about the panel, and must outlive the withdrawal that caused it."""
    match data:
        case CandidateIdentifiedV1() | EndorsementRequestedV1():
            return [data.participant_ref]
        case ParticipantInvitedV1() if data.participant_ref:
            return [data.participant_ref]
        case ActionCompletedV1():
            return list(data.participant_refs)
    return []


def staff_needing_line_manager(data: Contract) -> list[str]:
    """Staff refs whose line manager must come from the directory."""
    if isinstance(data, RecognitionAwardedV1) and data.line_manager_ref is None:
        return [data.recipient_ref]
    return []


def route(data: Contract, known: Known) -> list[Intent]:
    """Everyone who must hear about this event, one intent per (recipient, template)."""
    intents = list(_rules(data, known))
    victims = set(victims_named(data)) | set(known.supporters)
    return _merged(_never_a_victim(intents, victims))


def _rules(data: Contract, known: Known) -> Iterable[Intent]:
    context: dict[str, Any]
    match data:
        case CandidateIdentifiedV1():
            yield from _via_supporter(
                data.participant_ref,
                data.supporter_ref,
                known,
                Template.CANDIDATE_APPROACH,
                {
                    "participant_ref": data.participant_ref,
                    "themes": [t.value for t in data.themes],
                    "contact_route": data.contact_route.value,
                    "child": data.child,
                },
            )
        case ParticipantInvitedV1():
            yield from _invitation(data, known)
        case PanelScheduledV1():
            context = {
                "panel_ref": data.panel_ref,
                "title": data.title,
                "starts_at": data.starts_at.isoformat(),
                "ends_at": data.ends_at.isoformat(),
                "format": data.format.value,
                "themes": [t.value for t in data.themes],
            }
            for ref in [*data.command_area_refs, *data.organisation_refs]:
                yield Intent(ref, Template.PANEL_SCHEDULED, context)
        case PanelHeldV1():
            context = {
                "panel_ref": data.panel_ref,
                "title": data.title,
                "held_at": data.held_at.isoformat(),
                "recording_ref": data.recording_ref,
            }
            for ref in data.attendee_refs:
                yield Intent(ref, Template.PANEL_HELD, context)
        case CaseStudySharedV1():
            context = {"case_study_ref": data.case_study_ref, "panel_ref": data.panel_ref}
            for ref in data.team_refs:
                yield Intent(ref, Template.CASE_STUDY_SHARED, context)
        case RecognitionAwardedV1():
            context = {
                "recognition_ref": data.recognition_ref,
                "recipient_kind": data.recipient_kind,
                "recognised_ref": data.recipient_ref,
                "panel_ref": data.panel_ref,
            }
            yield Intent(data.recipient_ref, Template.RECOGNITION, context)
            manager = data.line_manager_ref or known.line_managers.get(data.recipient_ref)
            if manager:
                yield Intent(manager, Template.RECOGNITION_LINE_MANAGER, context)
        case ActionRaisedV1():
            yield Intent(
                data.owner_ref,
                Template.ACTION_RAISED,
                {
                    "action_ref": data.action_ref,
                    "title": data.title,
                    "due_on": data.due_on.isoformat(),
                    "theme_code": data.theme_code,
                },
            )
        case EndorsementRequestedV1():
            yield from _via_supporter(
                data.participant_ref,
                data.supporter_ref,
                known,
                Template.ENDORSEMENT_REQUESTED,
                {
                    "endorsement_ref": data.endorsement_ref,
                    "subject": data.subject,
                    "participant_ref": data.participant_ref,
                },
            )
        case ActionCompletedV1():
            context = {"action_ref": data.action_ref, "title": data.title}
            for participant_ref in data.participant_refs:
                yield from _via_supporter(
                    participant_ref, None, known, Template.YOU_SAID_WE_DID, context
                )
        case ParticipantRemovedV1():
            yield _participant_removed(data)


def _invitation(data: ParticipantInvitedV1, known: Known) -> Iterable[Intent]:
    invite = CalendarInvite(
        uid=data.invitation_ref,
        summary=data.title,
        starts_at=data.starts_at.isoformat(),
        ends_at=data.ends_at.isoformat(),
        location=data.location,
    )
    context = {
        "invitation_ref": data.invitation_ref,
        "panel_ref": data.panel_ref,
        "title": data.title,
        "starts_at": data.starts_at.isoformat(),
        "ends_at": data.ends_at.isoformat(),
        "format": data.format.value,
        "location": data.location,
        "invitee_kind": data.invitee_kind.value,
    }
    if data.invitee_kind is InviteeKind.VICTIM:
        if data.participant_ref is None:
            # No victim named: no supporter to ask, and nothing a withdrawal could cancel it by.
            # Whatever `recipient_ref` says, no one is invited; the coordinators are told.
            yield Intent(
                COORDINATION_TEAM,
                Template.INVITATION_VIA_SUPPORTER,
                context,
                unreachable=VICTIM_NOT_NAMED,
            )
            return
        # Whatever `recipient_ref` says, a victim invitee is reached through a supporter only.
        yield from _via_supporter(
            data.participant_ref,
            data.supporter_ref,
            known,
            Template.INVITATION_VIA_SUPPORTER,
            {**context, "participant_ref": data.participant_ref},
            invite,
        )
    elif data.recipient_ref:
        yield Intent(data.recipient_ref, Template.INVITATION, context, invite=invite)


def _participant_removed(data: ParticipantRemovedV1) -> Intent:
    """The coordinators review the panel a victim was taken off. The message is about the
    panel, not the victim: it names no victim (no `about_refs`, no participant ref in its
    context), so the withdrawal that caused it neither cancels it nor has a ref left to erase."""
    return Intent(
        COORDINATION_TEAM,
        Template.PARTICIPANT_REMOVED,
        {"panel_ref": data.panel_ref, "reason_code": data.reason_code},
    )


def _via_supporter(
    participant_ref: str,
    named: str | None,
    known: Known,
    template: Template,
    context: Mapping[str, Any],
    invite: CalendarInvite | None = None,
) -> Iterable[Intent]:
    """A message about a victim, to the supporter the event names or the consent map knows.
    Nothing about a victim who withdrew or was excluded; without a supporter, no one can be
    told, and that is logged (to the coordination team) rather than dropped in silence."""
    link = known.supporters.get(participant_ref)
    if link is not None and (link.withdrawn or link.excluded):
        return
    about = (participant_ref,)
    supporter = named or (link.supporter_ref if link else None)
    if supporter:
        yield Intent(supporter, template, context, about, invite)
    else:
        yield Intent(
            COORDINATION_TEAM, template, context, about, unreachable=VICTIM_WITHOUT_SUPPORTER
        )


def _never_a_victim(intents: list[Intent], victims: set[str]) -> list[Intent]:
    return [i for i in intents if i.recipient_ref not in victims]


def _merged(intents: list[Intent]) -> list[Intent]:
    """One intent per (recipient, template): a supporter of two victims hears once."""
    merged: dict[tuple[str, str], Intent] = {}
    for intent in intents:
        key = (intent.recipient_ref, intent.template.value)
        if key in merged:
            before = merged[key]
            about = tuple(dict.fromkeys([*before.about_refs, *intent.about_refs]))
            merged[key] = replace(before, about_refs=about)
        else:
            merged[key] = intent
    return list(merged.values())


def staff_named(context: Mapping[str, Any]) -> list[str]:
    """The staff (or team) a message names: shown by their directory name, read at send time."""
    recognised = context.get("recognised_ref")
    return [recognised] if isinstance(recognised, str) else []


def names_of_staff_named(
    context: Mapping[str, Any], entries: Mapping[str, DirectoryEntry]
) -> dict[str, str]:
    """Their names by ref, for those the directory knows."""
    return {ref: entries[ref].name for ref in staff_named(context) if ref in entries}


def context_json(intent: Intent) -> dict[str, Any]:
    """What is kept with a pending send to render it later (refs and panel facts only)."""
    stored: dict[str, Any] = dict(intent.context)
    if intent.invite is not None:
        stored["invite"] = vars(intent.invite)
    return stored
