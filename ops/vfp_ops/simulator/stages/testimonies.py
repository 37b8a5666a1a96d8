"""Stage 9: testimonies over two panels. A theme raised by three victims recurs and is
published; one raised three times by only two victims (below k) is not."""

from functools import partial
from typing import Any

from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState

# How a testimony was given, by the victim's consent mode.
ROUTE = {
    "live": "live",
    "live_camera_off": "live",
    "pre_recorded": "pre_recorded",
    "by_support_worker": "support_worker",
}


async def capture_testimonies(cycle: CycleState) -> str:
    result, recurring, below_k = cycle.result, cycle.recurring_theme, cycle.below_k_theme
    for code, label, right in (
        (recurring, "A single point of contact", 6),
        (below_k, "Waiting areas at court", 8),
    ):
        await cycle.http.call(
            "POST",
            "feedback",
            "/themes",
            cycle.coordinator_token,
            {"code": code, "label": label, "victims_code_right": right},
        )
    earlier, current = result.earlier_panel_ref, result.panel_ref
    assert earlier and current
    # The below-k theme first: three testimonies, two panels, but two victims only.
    plan: list[tuple[str, str, str, str, str]] = [
        ("safeguarded", earlier, below_k, "negative", "I sat across from his family at court."),
        ("safeguarded", current, below_k, "negative", "The waiting room was shared again."),
        ("child", current, below_k, "negative", "Court was scary and we waited all day."),
        ("live", earlier, recurring, "positive", "My officer kept me informed every week."),
        ("praise", current, recurring, "positive", "One named officer rang me back every time."),
        ("case_study", current, recurring, "positive", "I always knew who to call."),
    ]
    responses = []
    for key, panel, theme, polarity, text in plan:
        body = {
            "participant_ref": cycle.participant[key],
            "panel_ref": panel,
            "route": ROUTE[result.consent_modes[key]],
            "worked_well" if polarity == "positive" else "could_be_better": text,
            "tags": [
                {"theme_code": theme, "polarity": polarity},
                {"theme_code": "compassion", "polarity": "positive"},
            ],
        }
        captured = await poll(partial(capture, cycle, body), f"feedback to hold {key}'s consent")
        responses.append(captured)
        cycle.testimony.setdefault(key, []).append(captured["testimony_ref"])
    result.testimonies = len(responses)
    result.recurring_theme, result.below_k_theme = recurring, below_k
    try:
        await cycle.watch.wait(
            "feedback.theme-recurring.v1", lambda d: d.theme_code == recurring, timeout_s=30
        )
    except TimeoutError as error:
        raise StageFailed(f"{recurring} did not recur: {error}") from None
    result.recurring_published = sorted(
        {s.envelope.data.theme_code for s in cycle.watch.matching("feedback.theme-recurring.v1")}
    )
    listed = {tag for r in responses for tag in r["recurring"]}
    result.below_k_published = f"{below_k}:negative" in listed or bool(
        cycle.watch.matching("feedback.theme-recurring.v1", lambda d: d.theme_code == below_k)
    )
    if f"{recurring}:positive" not in listed:
        raise StageFailed(f"no capture reported {recurring}:positive as recurring: {listed}")
    if result.below_k_published:
        raise StageFailed(f"{below_k} was published with only 2 distinct victims")
    return (
        f"{len(responses)} testimonies over 2 panels; {recurring} recurs (3 victims) and was "
        f"published; {below_k} (3 testimonies, 2 victims < k=3) was not"
    )


async def capture(cycle: CycleState, body: dict[str, Any]) -> Any:
    """The captured testimony, or None while feedback lacks the consent (it arrives over
    Kafka; 409 until then)."""
    response = await cycle.http.call(
        "POST", "feedback", "/testimonies", cycle.coordinator_token, body, expect=(201, 409)
    )
    return response.json() if response.status_code == 201 else None
