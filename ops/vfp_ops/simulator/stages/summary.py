"""Stage 13: what the whole cycle left behind: no dead letters, the mail sent, the victim's
journey traced through all four services, and where to look at it all."""

import contextlib
from collections import Counter
from pathlib import Path

from vfp_ops.simulator.bus import dead_letter_offsets
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.reporting import Reporter
from vfp_ops.simulator.stages.state import CycleState
from vfp_ops.simulator.traces import services_in_trace

SERVICE_NAMES = ("participants", "panels", "feedback", "notifications")


async def summarise(cycle: CycleState, dead_before: dict[str, int], report: Reporter) -> str:
    result, env = cycle.result, cycle.env
    after = await dead_letter_offsets(env.kafka_bootstrap)
    grown = {t: n - dead_before.get(t, 0) for t, n in after.items()}
    result.dead_letters = {t: n for t, n in grown.items() if n}
    if env.mailbox is not None:
        messages = env.mailbox()
        result.emails_in_mailbox = len(messages)
        subjects: Counter[str] = Counter()
        for m in messages:
            subject = str(m.get("Subject", ""))
            subjects[subject.split(":")[0].split(" for ")[0][:40]] += 1
        result.emails_by_subject = dict(subjects.most_common())
    result.delivery_failures = dict(
        Counter(
            s.envelope.data.reason_code
            for s in cycle.watch.matching("notifications.delivery-failed.v1")
        )
    )
    learning = Counter(
        s.topic for s in cycle.watch.seen if s.topic.startswith(("learning.", "feedback."))
    )
    result.learning_events = {**dict(learning), **result.learning_events}
    trace_id = cycle.feed.showcase("live").trace_id
    result.trace_id = trace_id
    traces = env.traces_dir or env.run_dir / "traces"
    if traces.is_dir():
        with contextlib.suppress(StageFailed):  # judged just below, with what was found
            await poll(
                lambda: traced_everywhere(cycle, traces, trace_id),
                "the victim's trace in all four services",
                25,
                0.5,
            )
    urls = {
        name: f"{env.url(name)}/docs  (AsyncAPI {env.url(name)}/asyncapi.json)"
        for name in SERVICE_NAMES
    }
    result.where_to_look = {
        **urls,
        "asyncapi_files": "docs/asyncapi/*.json",
        "board_report": result.board_report_path or "-",
        "mailbox": str(env.run_dir / "mail"),
        "traces": str(traces),
        "victim_journey_trace": f"{trace_id} in {', '.join(result.trace_services)}",
    }
    problems = []
    if result.dead_letters:
        problems.append(f"dead letters: {result.dead_letters}")
    if traces.is_dir() and set(result.trace_services) < set(SERVICE_NAMES):
        problems.append(f"trace {trace_id} seen only in {result.trace_services}")
    if problems:
        raise StageFailed("; ".join(problems))
    traced = (
        f"trace {trace_id} through {len(result.trace_services)} services"
        if traces.is_dir()
        else f"trace not checked: no folder {traces} (see --run-dir)"
    )
    return (
        f"{result.events_published + result.later_events_published} events published, "
        f"{result.emails_in_mailbox} emails, no dead letters, {traced}"
    )


async def traced_everywhere(cycle: CycleState, traces: Path, trace_id: str) -> bool:
    cycle.result.trace_services = services_in_trace(traces, trace_id)
    return set(SERVICE_NAMES) <= set(cycle.result.trace_services)
