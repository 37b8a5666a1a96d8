"""Who hears what: each routing rule, pure (no I/O)."""

from notifications_events import (
    action_completed,
    action_raised,
    candidate_identified,
    case_study_shared,
    endorsement_requested,
    invited,
    panel_held,
    panel_scheduled,
    participant_removed,
    recognition,
    ref,
    victim_invited,
)

from vfp_notifications.domain.model import (
    COORDINATION_TEAM,
    VICTIM_NOT_NAMED,
    VICTIM_WITHOUT_SUPPORTER,
    SupporterLink,
    Template,
)
from vfp_notifications.domain.routing import Known, route, victims_named
from vfp_shared.contracts.panels.vocabulary import InviteeKind
from vfp_shared.contracts.vocabulary import ContactRoute


def recipients(intents: list) -> list[tuple[str, Template]]:  # type: ignore[type-arg]
    return [(i.recipient_ref, i.template) for i in intents]


def test_a_candidate_identified_asks_the_oic_or_support_worker_to_approach_the_victim() -> None:
    event = candidate_identified()
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template) == (
        event.supporter_ref,
        Template.CANDIDATE_APPROACH,
    )
    assert intent.about_refs == (event.participant_ref,)


def test_a_candidate_without_a_supporter_is_not_contacted_and_the_coordinators_are_told() -> None:
    event = candidate_identified(supporter_ref=None, contact_route=ContactRoute.DIRECT)
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template, intent.unreachable) == (
        COORDINATION_TEAM,
        Template.CANDIDATE_APPROACH,
        VICTIM_WITHOUT_SUPPORTER,
    )
    assert intent.about_refs == (event.participant_ref,)


def test_a_victim_invitation_goes_to_their_supporter_with_the_calendar_invite() -> None:
    event = victim_invited()
    [intent] = route(event, Known())
    assert intent.recipient_ref == event.supporter_ref
    assert intent.template is Template.INVITATION_VIA_SUPPORTER
    assert intent.invite is not None and intent.invite.uid == event.invitation_ref
    assert intent.invite.location == event.location


def test_a_victim_invitation_uses_the_consent_map_when_the_event_names_no_supporter() -> None:
    event = victim_invited(supporter_ref=None)
    supporter = ref("isva")
    known = Known(supporters={event.participant_ref or "": SupporterLink(supporter)})
    assert recipients(route(event, known)) == [(supporter, Template.INVITATION_VIA_SUPPORTER)]


def test_a_victim_is_never_the_recipient_even_with_direct_contact_consent() -> None:
    victim = ref("victim")
    event = victim_invited(
        participant_ref=victim,
        recipient_ref=victim,
        supporter_ref=None,
        contact_route=ContactRoute.DIRECT,
    )
    known = Known(supporters={victim: SupporterLink(None, direct_contact=True)})
    assert recipients(route(event, known)) == [
        (COORDINATION_TEAM, Template.INVITATION_VIA_SUPPORTER)
    ]


def test_a_victim_invitation_naming_no_victim_is_sent_to_no_one_but_logged() -> None:
    event = victim_invited(participant_ref=None)
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template, intent.unreachable) == (
        COORDINATION_TEAM,
        Template.INVITATION_VIA_SUPPORTER,
        VICTIM_NOT_NAMED,
    )
    assert intent.about_refs == ()
    assert victims_named(event) == []


def test_a_staff_invitation_goes_to_the_recipient_ref() -> None:
    event = invited(invitee_kind=InviteeKind.CPS)
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template) == (event.recipient_ref, Template.INVITATION)
    assert intent.invite is not None and intent.invite.summary == event.title


def test_a_scheduled_panel_tells_every_command_area_and_organisation() -> None:
    event = panel_scheduled()
    assert recipients(route(event, Known())) == [
        (r, Template.PANEL_SCHEDULED) for r in [*event.command_area_refs, *event.organisation_refs]
    ]


def test_a_held_panel_sends_attendees_the_recording_and_survey() -> None:
    event = panel_held()
    intents = route(event, Known())
    assert recipients(intents) == [(r, Template.PANEL_HELD) for r in event.attendee_refs]
    assert intents[0].context["recording_ref"] == event.recording_ref


def test_an_attendee_who_is_a_victim_is_left_out() -> None:
    # A victim who attended (live) is a known participant with a supporter: the recording and
    # survey links go to the staff attendees, never to the victim.
    victim, officer, isva = ref("victim"), ref("officer"), ref("isva")
    event = panel_held(attendee_refs=[officer, victim])
    known = Known(supporters={victim: SupporterLink(isva)})
    assert recipients(route(event, known)) == [(officer, Template.PANEL_HELD)]


def test_a_shared_case_study_goes_to_the_teams_concerned() -> None:
    event = case_study_shared()
    assert recipients(route(event, Known())) == [
        (r, Template.CASE_STUDY_SHARED) for r in event.team_refs
    ]


def test_recognition_goes_to_the_officer_and_their_line_manager() -> None:
    event = recognition()
    assert recipients(route(event, Known())) == [
        (event.recipient_ref, Template.RECOGNITION),
        (event.line_manager_ref, Template.RECOGNITION_LINE_MANAGER),
    ]


def test_recognition_finds_the_line_manager_in_the_directory_when_the_event_has_none() -> None:
    event = recognition(line_manager_ref=None)
    manager = ref("inspector")
    known = Known(line_managers={event.recipient_ref: manager})
    assert (manager, Template.RECOGNITION_LINE_MANAGER) in recipients(route(event, known))


def test_a_raised_action_goes_to_its_owner() -> None:
    event = action_raised()
    assert recipients(route(event, Known())) == [(event.owner_ref, Template.ACTION_RAISED)]


def test_an_endorsement_request_goes_to_the_supporter() -> None:
    event = endorsement_requested()
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template) == (
        event.supporter_ref,
        Template.ENDORSEMENT_REQUESTED,
    )
    assert intent.about_refs == (event.participant_ref,)


def test_nothing_is_sent_about_a_victim_who_withdrew() -> None:
    event = endorsement_requested()
    known = Known(supporters={event.participant_ref: SupporterLink(None, withdrawn=True)})
    assert route(event, known) == []


def test_nothing_is_sent_about_a_victim_who_was_excluded() -> None:
    event = endorsement_requested()
    known = Known(supporters={event.participant_ref: SupporterLink(None, excluded=True)})
    assert route(event, known) == []


def test_a_completed_action_goes_on_without_an_excluded_victim() -> None:
    kept, excluded = ref("victim"), ref("victim")
    isva = ref("isva")
    known = Known(
        supporters={kept: SupporterLink(isva), excluded: SupporterLink(isva, excluded=True)}
    )
    [intent] = route(action_completed([excluded, kept]), known)
    assert (intent.recipient_ref, intent.about_refs) == (isva, (kept,))


def test_a_completed_action_tells_each_supporter_once_you_said_we_did() -> None:
    a, b, c, unknown = ref("victim"), ref("victim"), ref("victim"), ref("victim")
    isva, oic = ref("isva"), ref("oic")
    known = Known(
        supporters={a: SupporterLink(isva), b: SupporterLink(isva), c: SupporterLink(oic)}
    )
    intents = route(action_completed([a, b, c, unknown]), known)
    assert recipients(intents) == [
        (isva, Template.YOU_SAID_WE_DID),
        (oic, Template.YOU_SAID_WE_DID),
        (COORDINATION_TEAM, Template.YOU_SAID_WE_DID),
    ]
    assert intents[0].about_refs == (a, b)
    assert (intents[2].about_refs, intents[2].unreachable) == ((unknown,), VICTIM_WITHOUT_SUPPORTER)


def test_the_victims_an_event_concerns_are_named_for_the_supporter_lookup() -> None:
    a, b = ref("victim"), ref("victim")
    assert victims_named(action_completed([a, b])) == [a, b]
    assert victims_named(action_raised()) == []


def test_a_participant_taken_off_a_panel_is_for_the_coordination_team_to_review() -> None:
    event = participant_removed(reason_code="candidate_excluded")
    [intent] = route(event, Known())
    assert (intent.recipient_ref, intent.template, intent.unreachable) == (
        COORDINATION_TEAM,
        Template.PARTICIPANT_REMOVED,
        None,
    )
    assert intent.context == {"panel_ref": event.panel_ref, "reason_code": "candidate_excluded"}


def test_a_removal_is_about_the_panel_so_the_victims_withdrawal_does_not_stop_it() -> None:
    event = participant_removed(reason_code="consent_withdrawn")
    victim = event.participant_ref
    # Routed even after the withdrawal that caused it, and naming no victim it could be
    # cancelled for, or whose ref a withdrawal would have to erase.
    known = Known(supporters={victim: SupporterLink(None, withdrawn=True)})
    [intent] = route(event, known)
    assert intent.recipient_ref == COORDINATION_TEAM
    assert intent.about_refs == ()
    assert victim not in str(intent.context)
    assert victims_named(event) == []
