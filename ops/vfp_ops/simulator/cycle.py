"""One whole panel cycle driven against the running services, stage by stage, each verified
(polling with timeouts, never sleeping and hoping): from the force's feed to the board report
and a withdrawal. The stages are in `stages/`, one module each; output goes through a small
`Reporter`; the figures come back in a `CycleResult`.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from vfp_ops.simulator.bus import BusWatch, dead_letter_offsets, move_groups_to_end
from vfp_ops.simulator.environment import CycleEnvironment
from vfp_ops.simulator.feed import build_feed
from vfp_ops.simulator.http import Http
from vfp_ops.simulator.outcome import CycleResult, StageOutcome
from vfp_ops.simulator.reporting import PlainReporter, Reporter
from vfp_ops.simulator.stages.board_report import write_board_report
from vfp_ops.simulator.stages.complaints_and_reopenings import exclude_on_later_facts
from vfp_ops.simulator.stages.consent import approach_for_consent
from vfp_ops.simulator.stages.directory import fill_directory
from vfp_ops.simulator.stages.feed import publish_feed
from vfp_ops.simulator.stages.held import hold_panel_and_survey
from vfp_ops.simulator.stages.invitations import invite_and_deliver
from vfp_ops.simulator.stages.learning import act_on_learning
from vfp_ops.simulator.stages.panel import schedule_panels
from vfp_ops.simulator.stages.screening import check_screening
from vfp_ops.simulator.stages.state import CycleState
from vfp_ops.simulator.stages.summary import summarise
from vfp_ops.simulator.stages.testimonies import capture_testimonies
from vfp_ops.simulator.stages.withdrawal import withdraw

# Others import these from here.
__all__ = [
    "CycleEnvironment",
    "CycleResult",
    "PlainReporter",
    "move_groups_to_end",
    "run_cycle",
]

WATCHED = (
    "participants.candidate-identified.v1",
    "participants.candidate-excluded.v1",
    "participants.consent-given.v1",
    "participants.consent-declined.v1",
    "participants.consent-withdrawn.v1",
    "panels.panel-scheduled.v1",
    "panels.agenda-published.v1",
    "panels.participant-invited.v1",
    "panels.participant-removed.v1",
    "panels.panel-held.v1",
    "feedback.theme-recurring.v1",
    "feedback.case-study-shared.v1",
    "learning.recognition-awarded.v1",
    "learning.action-raised.v1",
    "learning.action-completed.v1",
    "learning.endorsement-requested.v1",
    "learning.endorsement-recorded.v1",
    "notifications.sent.v1",
    "notifications.delivery-failed.v1",
)


async def run_cycle(
    env: CycleEnvironment,
    *,
    feed_size: int = 200,
    rate_per_s: float = 100.0,
    report: Reporter | None = None,
    seed: int = 2021,
    fresh_groups: bool = False,
    run_id: str | None = None,
) -> CycleResult:
    """Drive one whole panel cycle against the running services; every stage verified."""
    report = report or PlainReporter()
    started = time.monotonic()
    run = run_id or uuid.uuid4().hex[:8]
    result = CycleResult(run_id=run)
    if fresh_groups:
        await move_groups_to_end(env.kafka_bootstrap)
    feed = build_feed(seed=seed, size=feed_size, now=datetime.now(UTC), run_id=run)
    dead_before = await dead_letter_offsets(env.kafka_bootstrap)
    watch = BusWatch(env.kafka_bootstrap, WATCHED)
    await watch.start()
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            cycle = CycleState.begin(env, Http(env, client), watch, feed, result)
            stages: list[tuple[str, Callable[[], Awaitable[str]]]] = [
                ("directory", lambda: fill_directory(cycle)),
                ("feed", lambda: publish_feed(cycle, rate_per_s, report)),
                ("screening", lambda: check_screening(cycle)),
                ("complaints_and_reopenings", lambda: exclude_on_later_facts(cycle)),
                ("consent", lambda: approach_for_consent(cycle, report)),
                ("panel_and_agenda", lambda: schedule_panels(cycle, report)),
                ("invitations", lambda: invite_and_deliver(cycle)),
                ("held_and_survey", lambda: hold_panel_and_survey(cycle)),
                ("testimonies_and_themes", lambda: capture_testimonies(cycle)),
                ("learning", lambda: act_on_learning(cycle)),
                ("board_report", lambda: write_board_report(cycle)),
                ("withdrawal", lambda: withdraw(cycle)),
                ("summary", lambda: summarise(cycle, dead_before, report)),
            ]
            for number, (name, stage) in enumerate(stages, start=1):
                report.stage(number, name)
                began = time.monotonic()
                try:
                    detail, ok = await stage(), True
                except Exception as error:  # a stage's failure is its outcome, not a crash
                    detail, ok = f"{type(error).__name__}: {error}", False
                outcome = StageOutcome(name, ok, detail, time.monotonic() - began)
                result.stages.append(outcome)
                report.outcome(outcome)
                if not ok and name != "summary":
                    break  # later stages build on this one
    finally:
        await watch.stop()
        result.wall_s = time.monotonic() - started
        report.done()
    return result
