"""Stage 4: later facts (a complaint opened, a case reopened) exclude identified victims."""

from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.stages.state import CycleState
from vfp_shared.testing import publish

# Showcase victim -> the reason code their later fact must exclude them for.
EXCLUDED_LATER = {"complaint": "open_complaint", "reopened": "case_reopened"}


async def exclude_on_later_facts(cycle: CycleState) -> str:
    result = cycle.result
    later = cycle.feed.later()
    await publish(cycle.env.kafka_bootstrap, later)
    result.later_events_published = len(later)
    for key, reason in EXCLUDED_LATER.items():
        ref = cycle.participant[key]
        try:
            seen = await cycle.watch.wait(
                "participants.candidate-excluded.v1",
                lambda d, ref=ref: d.participant_ref == ref,  # type: ignore[misc]
                timeout_s=30,
            )
        except TimeoutError as error:
            raise StageFailed(f"{key}: {error}") from None
        codes = list(seen[0].envelope.data.reason_codes)
        result.excluded_later[key] = codes
        if reason not in codes:
            raise StageFailed(f"{key} excluded for {codes}, expected {reason}")
        view = await cycle.http.json(
            "GET", "participants", f"/candidates/{ref}", cycle.coordinator_token
        )
        if view["status"] != "excluded":
            raise StageFailed(f"{key} is {view['status']} after the exclusion event")
    return (
        f"{len(later)} events: complaint → excluded {result.excluded_later['complaint']}, "
        f"reopening → excluded {result.excluded_later['reopened']}"
    )
