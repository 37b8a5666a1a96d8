"""Stage 12: the case-study victim withdraws: out of the pool and off every agenda, their
testimonies erased, their pending notifications cancelled."""

from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState

WITHDRAWING = "case_study"


async def withdraw(cycle: CycleState) -> str:
    result, http, coordinator = cycle.result, cycle.http, cycle.coordinator_token
    ref = cycle.participant[WITHDRAWING]
    result.withdrawn_participant = ref
    await http.call("POST", "participants", f"/candidates/{ref}/withdraw", coordinator)
    checks = result.withdrawal_checks
    await cycle.events("participants.consent-withdrawn.v1", lambda d: d.participant_ref == ref)
    removed, *_ = await cycle.events(
        "panels.participant-removed.v1",
        lambda d: d.participant_ref == ref and d.panel_ref == result.next_panel_ref,
    )
    checks["removed_event_for_next_panel"] = True
    # The coordinators hear of it (notifications, through the coordination team's members).
    removal = str(removed.envelope.id)
    await cycle.events(
        "notifications.sent.v1",
        lambda d: d.source_event_id == removal and d.template == "participant_removed",
    )
    checks["coordinators_told"] = True

    async def off_pool() -> bool:
        return ref not in await cycle.pool()

    await poll(off_pool, "the victim out of the panels pool")
    checks["out_of_pool"] = True
    for panel in (result.panel_ref, result.next_panel_ref):
        view = await http.json("GET", "panels", f"/panels/{panel}", cycle.lead_token)
        named = {i.get("participant_ref") for i in view["agenda"]["items"]}
        checks[f"off_agenda_{panel}"] = ref not in named

    async def erased() -> bool:
        for testimony in cycle.testimony.get(WITHDRAWING, []):
            path = f"/testimonies/{testimony}"
            response = await http.call("GET", "feedback", path, coordinator, expect=(200, 404))
            if response.status_code != 404:
                return False
        return True

    await poll(erased, "the victim's testimonies erased in feedback")
    checks["testimonies_erased"] = True
    listed = await http.json(
        "GET", "feedback", "/testimonies", coordinator, params={"participant_ref": ref}
    )
    checks["no_testimony_listed"] = listed == []
    view = await http.json("GET", "participants", f"/candidates/{ref}", coordinator)
    checks["withdrawn_in_participants"] = view["status"] == "withdrawn"
    result.cancelled_notifications = await cancelled_about(cycle, ref)
    failed = [k for k, v in checks.items() if not v]
    if failed:
        raise StageFailed(f"withdrawal checks failed: {failed}")
    return (
        f"{ref}: consent-withdrawn → out of the pool and off both agendas, "
        f"participant-removed for the draft panel (the coordinators told), testimonies 404 "
        f"in feedback; "
        f"{result.cancelled_notifications} of their pending sends cancelled (the rest had "
        f"gone)"
    )


async def cancelled_about(cycle: CycleState, ref: str) -> int:
    """How many of the sends about the victim the withdrawal cancelled (the delivery log
    keeps no victim refs: the events that named them are the way in)."""
    about = {
        str(s.envelope.id)
        for s in cycle.watch.seen
        if getattr(s.envelope.data, "participant_ref", None) == ref
    }
    cancelled = await cycle.http.json(
        "GET",
        "notifications",
        "/deliveries",
        cycle.coordinator_token,
        params={"status": "cancelled", "limit": 500},
    )
    return sum(1 for d in cancelled if str(d["source_event_id"]) in about)
