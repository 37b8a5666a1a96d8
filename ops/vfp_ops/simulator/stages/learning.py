"""Stage 10: what the panel taught is acted on: a recognition for a named officer, a case
study shared with a team, an action raised and completed (and victims told: "you said, we
did"), endorsement requests and an outcome."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState


async def act_on_learning(cycle: CycleState) -> str:
    result, http, cast, coordinator = cycle.result, cycle.http, cycle.cast, cycle.coordinator_token
    praise_oic = cycle.feed.showcase("praise").event.oic_ref
    await http.call(
        "POST",
        "feedback",
        "/recognitions",
        coordinator,
        {
            "participant_ref": cycle.participant["praise"],
            "recipient_kind": "individual",
            "recipient_ref": praise_oic,
            "line_manager_ref": cast.line_manager,
            "panel_ref": result.panel_ref,
            "message": "She never let me feel forgotten.",
        },
    )
    await http.call(
        "POST",
        "feedback",
        "/case-studies",
        coordinator,
        {
            "participant_ref": cycle.participant["case_study"],
            "panel_ref": result.panel_ref,
            "team_refs": [cast.team],
            "write_up": "How a named contact kept a victim of serious violence engaged.",
        },
    )
    action = await http.json(
        "POST",
        "feedback",
        "/actions",
        coordinator,
        {
            "title": f"Single point of contact in every high-harm case ({cycle.feed.run_id})",
            "owner_ref": cast.training,
            "due_on": (date.today() + timedelta(days=90)).isoformat(),
            "theme_code": cycle.recurring_theme,
            # Spreading what victims praised: those who praised it hear "you said, we did".
            "polarity": "positive",
        },
    )
    action_ref = action["action_ref"]
    await http.call(
        "POST",
        "feedback",
        f"/actions/{action_ref}/status",
        coordinator,
        {"status": "completed"},
    )
    endorsed = await http.json(
        "POST",
        "feedback",
        "/endorsements",
        coordinator,
        {
            "participant_refs": [cycle.participant["live"], cycle.participant["praise"]],
            "subject": "The new victim update training module",
        },
    )
    first = endorsed["endorsements"][cycle.participant["live"]]
    await http.call(
        "POST",
        "feedback",
        f"/endorsements/{first}/outcome",
        coordinator,
        {"outcome": "endorse_with_changes"},
    )
    waits: list[tuple[str, Callable[[Any], bool], int]] = [
        ("learning.recognition-awarded.v1", lambda d: d.recipient_ref == praise_oic, 1),
        ("feedback.case-study-shared.v1", lambda d: cast.team in d.team_refs, 1),
        ("learning.action-raised.v1", lambda d: d.action_ref == action_ref, 1),
        ("learning.action-completed.v1", lambda d: d.action_ref == action_ref, 1),
        (
            "learning.endorsement-requested.v1",
            lambda d: d.endorsement_ref in endorsed["endorsements"].values(),
            2,
        ),
        ("learning.endorsement-recorded.v1", lambda d: d.endorsement_ref == first, 1),
    ]
    result.learning_events = {
        topic: len(await cycle.events(topic, match, count=count)) for topic, match, count in waits
    }
    completed = cycle.watch.matching(
        "learning.action-completed.v1", lambda d: d.action_ref == action_ref
    )[0]
    contributors = set(completed.envelope.data.participant_refs)
    expected = {cycle.participant[k] for k in ("live", "praise", "case_study")}
    if not expected <= contributors:
        raise StageFailed(f"action-completed names {contributors}, expected {expected}")
    completed_id = {str(completed.envelope.id)}

    async def told() -> bool:
        return bool(cycle.sent_for(completed_id, "you_said_we_did"))

    await poll(told, "the 'you said, we did' messages", 30)
    result.you_said_we_did_sent = len(cycle.sent_for(completed_id, "you_said_we_did"))
    return (
        f"recognition, case study, action raised → completed ({len(contributors)} victims' "
        f"feedback), 2 endorsement requests, 1 outcome; 'you said, we did' sent to "
        f"{result.you_said_we_did_sent} supporters"
    )
