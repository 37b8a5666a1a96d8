"""Stage 1: the notifications directory knows everyone the cycle will write to."""

import asyncio
from collections import Counter
from typing import Any

from vfp_ops.simulator.feed import SERVICES
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.stages.state import CycleState


async def fill_directory(cycle: CycleState) -> str:
    cast = cycle.cast
    entries = directory_entries(cycle)
    gate = asyncio.Semaphore(8)

    async def put(ref: str, entry: dict[str, Any]) -> None:
        async with gate:
            path = f"/directory/{ref}"
            await cycle.http.call("PUT", "notifications", path, cycle.coordinator_token, entry)

    await asyncio.gather(*(put(ref, entry) for ref, entry in entries.items()))
    probe = await cycle.http.json(
        "GET", "notifications", f"/directory/{cast.areas[0]}", cycle.coordinator_token
    )
    if probe.get("member_refs") != cast.staff[:2]:
        raise StageFailed(f"directory entry read back differently: {probe}")
    kinds = Counter(str(e["kind"]) for e in entries.values())
    return f"{len(entries)} directory entries ({', '.join(f'{v} {k}' for k, v in kinds.items())})"


def directory_entries(cycle: CycleState) -> dict[str, dict[str, Any]]:
    """Each ref's directory entry: the feed's people, the services, staff and their areas."""
    cast = cycle.cast
    entries: dict[str, dict[str, Any]] = {}
    for ref, kind in cycle.feed.people.items():
        entries[ref] = {"kind": kind, "name": ref.removeprefix(f"{cast.prefix}-")}
    for svc in SERVICES:
        # A service is reached through its panel contact (a member of its own): the
        # service refs are the same in every run, and the per-recipient rate limit
        # (20 an hour) would hold a busy stack's mail to them back.
        contact = cast.ref(f"{svc}-panel-contact")
        entries[contact] = {
            "kind": "staff",
            "name": f"Panel contact, {svc}",
            "email": f"{contact}@services.example",
            "organisation": svc,
        }
        entries[svc] = {"kind": "service", "name": svc, "member_refs": [contact], "email": None}
    for ref in cast.staff:
        entries[ref] = {"kind": "staff", "name": ref, "line_manager_ref": cast.line_manager}
    for i, ref in enumerate(cast.areas):
        members = cast.staff[i * 2 : i * 2 + 2]
        entries[ref] = {"kind": "command_area", "name": ref, "member_refs": members}
        # Panels names a staff audience `staff:<command area>:<role>`: a group whose
        # members are the area's staff (reached through them; no address of its own).
        entries[f"staff:{ref}:all"] = {
            "kind": "staff_audience",
            "name": f"All staff, {ref}",
            "member_refs": members,
            "email": None,
        }
    others = {
        cast.cps: "cps",
        cast.partners[0]: "partner",
        cast.partners[1]: "partner",
        cast.team: "team",
        cast.line_manager: "staff",
        cast.training: "team",
        cast.media: "team",
        cast.lead: "staff",
        cast.coordinator: "staff",
    }
    for ref, kind in others.items():
        entries[ref] = {"kind": kind, "name": ref}
    # Notifications writes to the coordination team (a fixed ref) about panels and gaps;
    # this run's coordinator is its member.
    entries["coordination-team"] = {
        "kind": "team",
        "name": "Panel coordination team",
        "member_refs": [cast.coordinator],
        "email": None,
    }
    praise_oic = cycle.feed.showcase("praise").event.oic_ref
    entries[praise_oic]["line_manager_ref"] = cast.line_manager
    for ref, entry in entries.items():
        entry.setdefault("email", f"{ref}@force.example")
        if entry["email"] is None:
            del entry["email"]
    return entries
