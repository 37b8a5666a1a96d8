"""Stage 5: the showcase victims are approached through their contact route; five consent
(each in their own mode), one declines, and the consented reach the panels pool."""

from typing import Any

from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.reporting import Reporter
from vfp_ops.simulator.stages.state import CycleState

CONSENTING = ("live", "safeguarded", "child", "praise", "case_study")


def consent_plans(cycle: CycleState) -> dict[str, dict[str, Any]]:
    """What each consenting showcase victim agrees to."""
    return {
        "live": {"mode": "live", "scopes": ["take_part", "recording_in_training"]},
        "safeguarded": {"mode": "by_support_worker", "scopes": ["take_part"]},
        "child": {"mode": "pre_recorded", "scopes": ["take_part"], "guardian_consent": True},
        "praise": {
            "mode": "live_camera_off",
            "scopes": ["take_part", "praise_to_named_officers"],
            "praise_officer_refs": [cycle.feed.showcase("praise").event.oic_ref],
        },
        "case_study": {
            "mode": "live",
            "scopes": ["take_part", "case_study_to_named_teams"],
            "case_study_team_refs": [cycle.cast.team],
        },
    }


async def approach_for_consent(cycle: CycleState, report: Reporter) -> str:
    result, http, coordinator = cycle.result, cycle.http, cycle.coordinator_token
    plans = consent_plans(cycle)
    for key in (*CONSENTING, "declines"):
        ref = cycle.participant[key]
        via = result.showcase[key]["contact_route"]
        await http.call(
            "POST",
            "participants",
            f"/candidates/{ref}/approach",
            coordinator,
            {"via": via, "by_ref": cycle.supporter_of(key)},
        )
        if key == "declines":
            await http.call("POST", "participants", f"/candidates/{ref}/decline", coordinator)
            result.declines += 1
            report.info(f"{key}: approached via {via}, declined")
            continue
        if key == "child":
            refused = await http.call(
                "POST",
                "participants",
                f"/candidates/{ref}/consent",
                coordinator,
                {**plans[key], "guardian_consent": False},
                expect=(409, 422),
            )
            result.child_consent_without_guardian_status = refused.status_code
        await http.call(
            "POST", "participants", f"/candidates/{ref}/consent", coordinator, plans[key]
        )
        result.consents += 1
        result.consent_modes[key] = plans[key]["mode"]
        report.info(f"{key}: approached via {via}, consented {plans[key]['mode']}")
    refs = {cycle.participant[k] for k in CONSENTING}
    await cycle.events(
        "participants.consent-given.v1", lambda d: d.participant_ref in refs, count=len(refs)
    )
    await cycle.events(
        "participants.consent-declined.v1",
        lambda d: d.participant_ref == cycle.participant["declines"],
    )

    async def pooled() -> bool:
        return refs <= await cycle.pool()

    await poll(pooled, "the consented victims in the panels pool")
    return (
        f"{result.consents} consents ({', '.join(sorted(set(result.consent_modes.values())))})"
        f", {result.declines} declined; child without a guardian's consent → "
        f"{result.child_consent_without_guardian_status}; all in the panels pool"
    )
