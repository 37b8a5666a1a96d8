"""Stage 3: participants screens the feed's victims; the showcase victims come out as
expected, and only the identified ones are announced (continuing their case's trace)."""

from collections import Counter
from collections.abc import Callable
from typing import Any

from vfp_ops.simulator.bus import wait_consumed
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState

# Screening's reason codes whose effect is to exclude (the others defer or add a requirement).
EXCLUDING = frozenset(
    {
        "do_not_contact",
        "not_finalised",
        "case_reopened",
        "open_complaint",
        "no_focus_theme",
        "safeguarding_without_support_worker",
        "no_contact_route",
    }
)
# What the result keeps of each showcase victim's candidate.
SHOWN = (
    "participant_ref",
    "status",
    "reason_codes",
    "contact_route",
    "child",
    "safeguarding",
    "themes",
)
EXPECTED: dict[str, Callable[[dict[str, Any]], bool]] = {
    "live": lambda c: c["status"] == "identified",
    "safeguarded": lambda c: (
        c["status"] == "identified"
        and c["contact_route"] == "support_worker"
        and "support_worker_only" in c["reason_codes"]
    ),
    "child": lambda c: (
        c["status"] == "identified"
        and c["child"]
        and "guardian_consent_required" in c["reason_codes"]
    ),
    "pending_court": lambda c: c["status"] == "excluded" and "not_finalised" in c["reason_codes"],
    "vehicle": lambda c: c["status"] == "excluded" and "no_focus_theme" in c["reason_codes"],
    "recent": lambda c: c["status"] == "deferred" and "cooling_off" in c["reason_codes"],
    "complaint": lambda c: c["status"] == "identified",
    "reopened": lambda c: c["status"] == "identified",
}
NEVER_IDENTIFIED = ("pending_court", "vehicle", "recent")


async def check_screening(cycle: CycleState) -> str:
    result = cycle.result
    try:
        await wait_consumed(cycle.env.kafka_bootstrap, "participants", cycle.fed, 60)
    except TimeoutError as error:
        raise StageFailed(str(error)) from None
    expected = len(cycle.feed.victims())

    async def all_mine() -> list[dict[str, Any]] | None:
        mine = await my_candidates(cycle, expected)
        return mine if len(mine) >= expected else None

    mine: list[dict[str, Any]] = await poll(all_mine, f"{expected} candidates", 30)
    result.candidates = len(mine)
    result.by_status = dict(Counter(c["status"] for c in mine))
    reasons: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    for c in mine:
        if c["status"] == "excluded":
            reasons.update(r for r in c["reason_codes"] if r in EXCLUDING)
        elif c["status"] == "deferred":
            deferred.update(c["reason_codes"])
    result.excluded_by_reason = dict(reasons)
    result.deferred_by_reason = dict(deferred)
    problems = [*find_showcase(cycle, mine), *await check_announcements(cycle)]
    if problems:
        raise StageFailed("; ".join(problems))
    excluded = ", ".join(f"{k} {v}" for k, v in reasons.most_common())
    return (
        f"{len(mine)} candidates: {result.by_status.get('identified', 0)} identified, "
        f"{result.by_status.get('excluded', 0)} excluded ({excluded}), "
        f"{result.by_status.get('deferred', 0)} deferred, "
        f"{result.by_status.get('pending', 0)} pending"
    )


async def my_candidates(cycle: CycleState, expected: int) -> list[dict[str, Any]]:
    """This run's candidates (found by their supporter's run-prefixed ref), newest first."""
    mine: list[dict[str, Any]] = []
    offset = 0
    while len(mine) < expected:
        page = await cycle.http.json(
            "GET",
            "participants",
            "/candidates",
            cycle.coordinator_token,
            params={"limit": 500, "offset": offset, "purpose": "panel_cycle_screening"},
        )
        mine += [c for c in page if (c.get("supporter_ref") or "").startswith(cycle.cast.prefix)]
        if len(page) < 500:
            break
        offset += 500
    return mine


def find_showcase(cycle: CycleState, mine: list[dict[str, Any]]) -> list[str]:
    """Records each showcase victim's candidate; the problems with what screening made of it."""
    by_supporter = {c["supporter_ref"]: c for c in mine}
    problems = []
    for fc in cycle.feed.cases:
        if fc.showcase is None:
            continue
        candidate = by_supporter.get(cycle.supporter_of(fc.showcase))
        if candidate is None:
            problems.append(f"{fc.showcase}: no candidate")
            continue
        cycle.participant[fc.showcase] = candidate["participant_ref"]
        cycle.result.showcase[fc.showcase] = {k: candidate[k] for k in SHOWN}
    for key, holds in EXPECTED.items():
        seen = cycle.result.showcase.get(key)
        if seen is not None and not holds(seen):
            problems.append(f"{key}: {seen['status']} {seen['reason_codes']}")
    return problems


async def check_announcements(cycle: CycleState) -> list[str]:
    """The identified victim's journey continues the force's trace; the others' does not."""
    problems = []
    identified = "participants.candidate-identified.v1"
    live = cycle.feed.showcase("live")

    def is_live(d: Any) -> bool:
        return bool(d.participant_ref == cycle.participant.get("live"))

    try:
        await cycle.watch.wait(identified, is_live, timeout_s=15)
    except TimeoutError:
        problems.append("no candidate-identified event for the live showcase")
    found = cycle.watch.matching(identified, is_live)
    if found and found[0].trace_id != live.trace_id:
        problems.append("candidate-identified does not continue the case-closed trace")
    identified_traces = {s.trace_id for s in cycle.watch.matching(identified)}
    for key in NEVER_IDENTIFIED:
        announced = cycle.feed.showcase(key).trace_id in identified_traces
        if key in cycle.result.showcase:
            cycle.result.showcase[key]["identified_event"] = announced
        if announced:
            problems.append(f"{key} was announced as identified")
    return problems
