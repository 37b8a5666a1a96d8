"""Stage 6: three panels. An earlier one, held six months ago; this cycle's, scheduled with
staff registered, victims invited and an agenda checked and published; and the next one,
drafted with the case-study victim on its agenda."""

from datetime import UTC, datetime, timedelta
from typing import Any

from vfp_ops.simulator.feed import SERVICES
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.reporting import Reporter
from vfp_ops.simulator.stages.consent import CONSENTING
from vfp_ops.simulator.stages.state import CycleState

# The cycle's panel starts this long after it is created: staff register first (registration
# closes at the start), then it is held (not before its start).
PANEL_LEAD_S = 6.0
THEMES = (
    "sexual_violence_and_domestic_abuse",
    "stalking_and_harassment",
    "minority_communities",
    "other_high_harm",
)


async def schedule_panels(cycle: CycleState, report: Reporter) -> str:
    proposals = await cycle.http.json(
        "GET", "panels", "/panels/proposed-dates", cycle.lead_token, params={"count": 2}
    )
    first = proposals["proposals"][0]
    report.info(f"proposed dates: {[p['starts_at'] for p in proposals['proposals']]}")
    earlier = await hold_earlier_panel(cycle)
    items = await schedule_this_panel(cycle)
    upcoming = await draft_next_panel(cycle, first)
    return (
        f"panel {cycle.result.panel_ref} online at {cycle.panel_starts:%H:%M:%S}Z, agenda of "
        f"{len(items)} items ({sum(i['minutes'] for i in items)} min) checked and published; "
        f"earlier panel {earlier} held; next panel {upcoming} drafted for "
        f"{first['starts_at'][:10]}"
    )


def panel_body(
    cycle: CycleState, season: str, link: str, starts_at: str, ends_at: str
) -> dict[str, Any]:
    run = cycle.feed.run_id
    return {
        "format": "online",
        "themes": list(THEMES),
        "lead_ref": cycle.cast.lead,
        "coordinator_refs": [cycle.cast.coordinator],
        "case_study_capacity": 4,
        "title": f"Victim Feedback Panel ({season}) {run}",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "meeting_link": f"https://meet.force.example/vfp-{run}-{link}",
    }


async def create_panel(cycle: CycleState, body: dict[str, Any]) -> str:
    """The new panel's ref."""
    created = await cycle.http.json("POST", "panels", "/panels", cycle.lead_token, body)
    return str(created["panel_ref"])


async def hold_earlier_panel(cycle: CycleState) -> str:
    """A panel held six months ago (recorded after the event); its ref."""
    http, cast = cycle.http, cycle.cast
    starts = (cycle.started_at - timedelta(days=182)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    body = panel_body(
        cycle, "spring", "spring", starts.isoformat(), (starts + timedelta(hours=3)).isoformat()
    )
    ref = await create_panel(cycle, body)
    cycle.result.earlier_panel_ref = ref
    await http.call("POST", "panels", f"/panels/{ref}/schedule", cycle.lead_token)
    await http.call(
        "POST",
        "panels",
        f"/panels/{ref}/held",
        cycle.lead_token,
        {
            "recording_ref": cast.ref("recording-spring"),
            "attendees": [
                {"attendee_ref": s, "command_area_ref": cast.areas[i % 3], "role": "pc"}
                for i, s in enumerate(cast.staff[:3])
            ],
        },
    )
    return ref


async def schedule_this_panel(cycle: CycleState) -> list[dict[str, Any]]:
    """This cycle's panel, starting in a few seconds (the cycle is a compressed six months);
    its published agenda's items."""
    http, cast, result = cycle.http, cycle.cast, cycle.result
    cycle.panel_starts = starts = datetime.now(UTC) + timedelta(seconds=PANEL_LEAD_S)
    body = panel_body(
        cycle, "autumn", "autumn", starts.isoformat(), (starts + timedelta(hours=3)).isoformat()
    )
    body |= {
        "command_area_refs": cast.areas,
        "organisation_refs": [cast.cps, *cast.partners, *SERVICES],
    }
    cycle.panel_title = body["title"]
    ref = await create_panel(cycle, body)
    result.panel_ref = ref
    await http.call("POST", "panels", f"/panels/{ref}/schedule", cycle.lead_token)
    # Staff register while it is still ahead.
    for i, staff in enumerate(cast.staff):
        await http.call(
            "POST",
            "panels",
            f"/panels/{ref}/registrations",
            cycle.staff_token(staff),
            {"command_area_ref": cast.areas[i % 3], "role": ("pc", "dc", "sergeant")[i % 3]},
        )
        result.registrations += 1
    # Victims are invited through their supporters (pre-recorded ones too).
    for key in CONSENTING:
        invitation = await http.json(
            "POST",
            "panels",
            f"/panels/{ref}/invitations",
            cycle.lead_token,
            {"kind": "victim", "participant_ref": cycle.participant[key]},
        )
        cycle.invitation_refs.append(invitation["invitation_ref"])
    items = agenda(cycle)
    await http.call("PUT", "panels", f"/panels/{ref}/agenda", cycle.lead_token, {"items": items})
    checks = await http.json("GET", "panels", f"/panels/{ref}/agenda/checks", cycle.lead_token)
    if not checks["ready"]:
        raise StageFailed(f"agenda checks broken: {checks['broken']}")
    await http.call("POST", "panels", f"/panels/{ref}/agenda/publish", cycle.lead_token)
    await cycle.events("panels.agenda-published.v1", lambda d: d.panel_ref == ref)
    await cycle.events("panels.panel-scheduled.v1", lambda d: d.panel_ref == ref)
    result.agenda_items = [i["kind"] for i in items]
    result.agenda_published = True
    return items


def agenda(cycle: CycleState) -> list[dict[str, Any]]:
    """This cycle's panel: four case studies, a slot per commissioned service, questions."""
    items: list[dict[str, Any]] = [{"kind": "opening", "minutes": 10}]
    for key in ("live", "child", "safeguarded", "case_study"):
        item: dict[str, Any] = {
            "kind": "case_study",
            "minutes": 20,
            "participant_ref": cycle.participant[key],
            "mode": cycle.result.consent_modes[key],
        }
        if item["mode"] == "pre_recorded":
            item["media_ref"] = cycle.cast.ref(f"media-{key}")
        items.append(item)
    items += [{"kind": "service_slot", "minutes": 10, "service_ref": s} for s in SERVICES]
    items += [
        {"kind": "questions", "minutes": 30},
        {"kind": "recognition", "minutes": 10},
        {"kind": "close", "minutes": 5},
    ]
    return items


async def draft_next_panel(cycle: CycleState, first: dict[str, Any]) -> str:
    """The next panel, at the first proposed date: a draft naming the case-study victim."""
    body = panel_body(cycle, "next spring", "next", first["starts_at"], first["ends_at"])
    ref = await create_panel(cycle, body)
    cycle.result.next_panel_ref = ref
    await cycle.http.call(
        "PUT",
        "panels",
        f"/panels/{ref}/agenda",
        cycle.lead_token,
        {
            "items": [
                {"kind": "opening", "minutes": 10},
                {
                    "kind": "case_study",
                    "minutes": 20,
                    "participant_ref": cycle.participant["case_study"],
                    "mode": "live",
                },
                {"kind": "close", "minutes": 5},
            ]
        },
    )
    return ref
