"""Messages from Jinja2 templates (subject, plain text, HTML) and the .ics invitation."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from vfp_notifications.domain.model import CalendarInvite, Template

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    ics: bytes | None = None


class Renderer:
    def __init__(self, links: Mapping[str, str], organiser_email: str):
        self._links = dict(links)
        self._organiser = organiser_email
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(
        self,
        template: Template,
        context: Mapping[str, Any],
        recipient_name: str,
        names: Mapping[str, str] | None = None,
    ) -> Rendered:
        """`names`: directory names of the staff the message names, by ref."""
        values = {
            **context,
            "recipient_name": recipient_name,
            "names": names or {},
            "links": self._link_values(context),
        }
        subject = self._env.get_template(f"{template.value}.subject.txt").render(values)
        # One line: a title or subject from an event may hold a line break, which no mail
        # header may carry.
        subject = " ".join(subject.split())
        text = self._env.get_template(f"{template.value}.txt").render(values)
        html = self._env.get_template(f"{template.value}.html").render(values)
        invite = context.get("invite")
        ics = calendar_invite(CalendarInvite(**invite), self._organiser) if invite else None
        return Rendered(subject, text, html, ics)

    def _link_values(self, context: Mapping[str, Any]) -> dict[str, str]:
        refs = {k: v for k, v in context.items() if isinstance(v, str)}
        values = {}
        for name, pattern in self._links.items():
            try:
                values[name] = pattern.format(**refs)
            except KeyError:
                continue  # a link this event has no refs for
        return values


def calendar_invite(invite: CalendarInvite, organiser_email: str) -> bytes:
    """An iCalendar REQUEST whose UID is the invitation ref, so an update replaces it."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Victim Feedback Panel//notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", invite.uid)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", datetime.fromisoformat(invite.starts_at))
    event.add("dtend", datetime.fromisoformat(invite.ends_at))
    event.add("summary", invite.summary)
    event.add("location", invite.location)
    event.add("organizer", f"mailto:{organiser_email}")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
