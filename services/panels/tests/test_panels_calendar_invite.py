"""The .ics attachment of an invitation parses back into the panel it describes."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from vfp_panels.adapters.calendar_invite import render_ics
from vfp_panels.domain.invitations import invite_staff_audience
from vfp_panels.domain.model import Panel, PanelStatus
from vfp_shared.contracts.panels.vocabulary import PanelFormat
from vfp_shared.contracts.vocabulary import FocusTheme

STARTS = datetime(2027, 5, 12, 10, tzinfo=UTC)


def hybrid_panel(status: PanelStatus = PanelStatus.SCHEDULED) -> Panel:
    return Panel(
        ref="panel-1",
        organisation="force-1",
        title="Spring panel",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=3),
        format=PanelFormat.HYBRID,
        meeting_link="https://meet.example.org/vfp",
        venue="Police HQ, Room 4",
        themes=[FocusTheme.STALKING_AND_HARASSMENT],
        lead_ref="di-1",
        case_study_capacity=2,
        status=status,
    )


def test_an_invitation_renders_a_calendar_entry_that_parses_back() -> None:
    invitation = invite_staff_audience("inv-1", "panel-1", "north", "sergeant", STARTS)
    parsed = Calendar.from_ical(render_ics(invitation, hybrid_panel(), STARTS))
    (event,) = parsed.walk("VEVENT")
    assert parsed["VERSION"] == "2.0" and parsed["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == "inv-1@panels.vfp"
    assert event.decoded("DTSTART") == STARTS
    assert event.decoded("DTEND") == STARTS + timedelta(hours=3)
    assert str(event["SUMMARY"]) == "Spring panel"
    assert str(event["LOCATION"]) == "Police HQ, Room 4 / https://meet.example.org/vfp"
    assert str(event["URL"]) == "https://meet.example.org/vfp"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_each_move_and_the_cancellation_raise_the_entrys_sequence() -> None:
    invitation = invite_staff_audience("inv-1", "panel-1", "north", None, STARTS)
    panel = hybrid_panel()

    def sequence() -> object:
        (event,) = Calendar.from_ical(render_ics(invitation, panel, STARTS)).walk("VEVENT")
        return event.decoded("SEQUENCE")

    assert sequence() == 0
    panel.move_to(STARTS + timedelta(days=1), STARTS + timedelta(days=1, hours=3))
    assert sequence() == 1
    panel.cancel("operational_demand", STARTS)
    assert sequence() == 2


def test_a_cancelled_panels_entry_cancels_the_same_event() -> None:
    invitation = invite_staff_audience("inv-1", "panel-1", "north", None, STARTS)
    parsed = Calendar.from_ical(render_ics(invitation, hybrid_panel(PanelStatus.CANCELLED), STARTS))
    (event,) = parsed.walk("VEVENT")
    assert parsed["METHOD"] == "CANCEL"
    assert (str(event["UID"]), str(event["STATUS"])) == ("inv-1@panels.vfp", "CANCELLED")
