"""Every template renders (text and HTML); the .ics invitation parses back."""

from datetime import UTC, datetime

import icalendar
import pytest
from notifications_events import (
    action_completed,
    action_raised,
    candidate_identified,
    case_study_shared,
    endorsement_requested,
    panel_held,
    panel_scheduled,
    participant_removed,
    recognition,
    ref,
    victim_invited,
)

from vfp_notifications.adapters.rendering import Renderer
from vfp_notifications.domain.model import SupporterLink, Template
from vfp_notifications.domain.routing import Known, context_json, route

RENDERER = Renderer(
    {
        "portal": "https://vfp.example",
        "recording": "https://vfp.example/r/{recording_ref}",
        "survey": "https://vfp.example/s/{panel_ref}",
    },
    organiser_email="vfp@force.example",
)


def every_intent() -> list:  # type: ignore[type-arg]
    victim = ref("victim")
    known = Known(supporters={victim: SupporterLink(ref("isva"))})
    events = [
        candidate_identified(child=True),
        victim_invited(),
        panel_scheduled(),
        panel_held(),
        case_study_shared(),
        recognition(),
        action_raised(),
        endorsement_requested(),
        action_completed([victim]),
        participant_removed(),
    ]
    return [intent for event in events for intent in route(event, known)]


def test_every_template_is_reached_by_some_event() -> None:
    assert {i.template for i in every_intent()} == set(Template) - {Template.INVITATION}


@pytest.mark.parametrize("intent", every_intent(), ids=lambda i: i.template.value)
def test_each_template_renders_text_and_html_for_its_event(intent) -> None:  # type: ignore[no-untyped-def]
    message = RENDERER.render(intent.template, context_json(intent), "Sam Jones")
    assert message.subject and "\n" not in message.subject
    assert message.text.startswith("Dear Sam Jones,")
    assert "<p>Dear Sam Jones,</p>" in message.html
    assert "{{" not in message.text + message.html


def test_html_escapes_what_the_event_says() -> None:
    event = panel_held(title="<script>alert(1)</script>")
    [intent, *_] = route(event, Known())
    message = RENDERER.render(intent.template, context_json(intent), "A & B")
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "https://vfp.example/r/" + event.recording_ref in message.text


def test_the_invitation_carries_an_ics_with_the_invitation_ref_as_uid() -> None:
    event = victim_invited()
    [intent] = route(event, Known())
    message = RENDERER.render(intent.template, context_json(intent), "Sam Jones")
    assert message.ics is not None
    [vevent] = icalendar.Calendar.from_ical(message.ics).walk("VEVENT")
    assert str(vevent["UID"]) == event.invitation_ref
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["LOCATION"]) == event.location
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent.decoded("DTEND").astimezone(UTC) == event.ends_at.astimezone(UTC)
    assert isinstance(vevent.decoded("DTSTAMP"), datetime)


def test_a_line_break_in_what_the_event_says_stays_out_of_the_subject() -> None:
    event = endorsement_requested(subject="The new victim\n\tupdate letter")
    [intent] = route(event, Known())
    message = RENDERER.render(intent.template, context_json(intent), "Sam Jones")
    assert message.subject == (
        f"Would participant {event.participant_ref} endorse: The new victim update letter?"
    )


def test_the_line_manager_hears_the_officers_name_from_the_directory() -> None:
    event = recognition()
    [_, to_manager] = route(event, Known())
    names = {event.recipient_ref: "PC Jo Bloggs"}
    message = RENDERER.render(to_manager.template, context_json(to_manager), "Insp. Lee", names)
    assert message.subject == "Recognition for PC Jo Bloggs from the Victim Feedback Panel"
    assert "PC Jo Bloggs, whom you manage" in message.text
    assert event.recipient_ref not in message.text + message.html


def test_the_coordinators_hear_which_panel_lost_a_participant_and_why_but_not_who() -> None:
    event = participant_removed(reason_code="candidate_excluded")
    [intent] = route(event, Known())
    message = RENDERER.render(intent.template, context_json(intent), "Coordination team")
    expected = (
        f"A participant was taken off panel {event.panel_ref} (candidate excluded): "
        "review the agenda and invitations"
    )
    assert message.subject == expected
    assert expected in message.text and expected in message.html
    assert event.participant_ref not in message.subject + message.text + message.html
