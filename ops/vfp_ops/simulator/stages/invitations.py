"""Stage 7: everyone else is invited (staff audiences, CPS, partners, services); every
invitation is delivered, and the emails carry the panel as an .ics."""

from typing import Any

import icalendar

from vfp_ops.simulator.feed import SERVICES
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState


async def invite_and_deliver(cycle: CycleState) -> str:
    result, cast = cycle.result, cycle.cast
    ref = result.panel_ref
    bodies: list[dict[str, Any]] = [
        {"kind": "staff_audience", "command_area_ref": a, "role": "all"} for a in cast.areas
    ]
    bodies += [{"kind": "cps", "recipient_ref": cast.cps}]
    bodies += [{"kind": "partner", "recipient_ref": p} for p in cast.partners]
    bodies += [{"kind": "support_service", "recipient_ref": s} for s in SERVICES]
    for body in bodies:
        invitation = await cycle.http.json(
            "POST", "panels", f"/panels/{ref}/invitations", cycle.lead_token, body
        )
        cycle.invitation_refs.append(invitation["invitation_ref"])
    result.invitations = len(cycle.invitation_refs)
    invited = await cycle.events(
        "panels.participant-invited.v1",
        lambda d: d.panel_ref == ref,
        count=len(cycle.invitation_refs),
    )
    cycle.invited_event_ids = {str(s.envelope.id) for s in invited}
    try:
        await poll(lambda: delivered(cycle), "every invitation delivered", 45)
    except StageFailed as error:
        raise StageFailed(f"{error}; still undelivered: {cycle.undelivered}") from None
    result.invitations_delivered = len(cycle.sent_for(cycle.invited_event_ids))
    detail = f"{result.invitations} invitations, {result.invitations_delivered} delivered"
    if cycle.env.mailbox is not None:
        calendars = await poll(
            lambda: invitation_calendars(cycle), "the invitation emails with .ics"
        )
        check_calendar(cycle, calendars[0])
        detail += f"; {len(calendars)} emails with an .ics in the mailbox (UID = invitation)"
    else:
        detail += "; .ics not checked: no mailbox folder (see --run-dir)"
    return detail


async def delivered(cycle: CycleState) -> bool:
    """Whether every invitation was sent; StageFailed as soon as one failed."""
    failed = [
        f"{s.envelope.data.recipient_ref}: {s.envelope.data.reason_code}"
        for s in cycle.watch.matching("notifications.delivery-failed.v1")
        if s.envelope.data.source_event_id in cycle.invited_event_ids
    ]
    if failed:
        raise StageFailed(f"invitations not delivered: {failed}")
    reached = {sent.source_event_id for sent in cycle.sent_for(cycle.invited_event_ids)}
    cycle.undelivered = sorted(
        s.envelope.data.recipient_ref or s.envelope.data.supporter_ref or "?"
        for s in cycle.watch.matching("panels.participant-invited.v1")
        if str(s.envelope.id) in cycle.invited_event_ids - reached
    )
    return reached >= cycle.invited_event_ids


async def invitation_calendars(cycle: CycleState) -> list[icalendar.Calendar] | None:
    """The calendar of each invitation's email (its UID is the invitation), once all arrived."""
    wanted = set(cycle.invitation_refs)
    found: dict[str, icalendar.Calendar] = {}
    for message in cycle.mails():
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                payload = part.get_payload(decode=True)
                if not isinstance(payload, bytes):
                    continue
                cal = icalendar.Calendar.from_ical(payload)
                for ev in cal.walk("VEVENT"):
                    uid = str(ev.get("UID"))
                    if uid in wanted:
                        found[uid] = cal
    return list(found.values()) if wanted <= set(found) else None


def check_calendar(cycle: CycleState, calendar: icalendar.Calendar) -> None:
    """The .ics names this cycle's panel at its start."""
    result = cycle.result
    event = next(iter(calendar.walk("VEVENT")))
    result.ics_summary = str(event.get("SUMMARY"))
    start = event.decoded("DTSTART")
    assert cycle.panel_starts is not None
    result.ics_matches_panel = (
        result.ics_summary == cycle.panel_title
        and abs((start - cycle.panel_starts).total_seconds()) < 1
    )
    if not result.ics_matches_panel:
        raise StageFailed(f"the .ics says {result.ics_summary} at {start}")
