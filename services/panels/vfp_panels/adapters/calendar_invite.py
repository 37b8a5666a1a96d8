"""The iCalendar (.ics) attachment of an invitation (RFC 5545, METHOD:PUBLISH: no e-mail
addresses are needed, so none leave the platform)."""

from datetime import datetime

from icalendar import Calendar, Event

from vfp_panels.domain.invitations import Invitation
from vfp_panels.domain.model import Panel, PanelStatus

PRODUCT_ID = "-//Victim Feedback Panel//panels//EN"
UID_DOMAIN = "panels.vfp"


def render_ics(invitation: Invitation, panel: Panel, stamp: datetime) -> bytes:
    """One VEVENT for the panel, identified by the invitation, so a re-sent invitation (or a
    cancellation) updates the same calendar entry."""
    cancelled = panel.status == PanelStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{invitation.ref}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", panel.starts_at)
    event.add("dtend", panel.ends_at)
    event.add("summary", panel.title)
    event.add("location", panel.location)
    if panel.meeting_link:
        event.add("url", panel.meeting_link)
    event.add(
        "description",
        f"Victim Feedback Panel ({panel.format.value.replace('_', ' ')}). "
        f"Themes: {', '.join(t.value.replace('_', ' ') for t in panel.themes)}.",
    )
    event.add("categories", ["Victim Feedback Panel"])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Raised by each move and the cancellation, so calendars replace the entry they hold.
    event.add("sequence", panel.calendar_sequence)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
