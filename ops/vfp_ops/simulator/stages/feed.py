"""Stage 2: the force publishes its feed (case closures, nominations, flags, referrals)."""

import time

from vfp_ops.simulator.bus import GROUP_TOPICS, end_offsets, publish_paced
from vfp_ops.simulator.reporting import Reporter
from vfp_ops.simulator.stages.state import CycleState


async def publish_feed(cycle: CycleState, rate_per_s: float, report: Reporter) -> str:
    feed, bootstrap = cycle.feed, cycle.env.kafka_bootstrap
    stream = feed.stream()
    report.info(
        f"{len(feed.cases)} case closures, {len(feed.nominations)} nominations, "
        f"{len(feed.flags)} staff flags, {len(feed.referrals)} referrals"
    )
    report.info("mix: " + ", ".join(f"{k} {v}" for k, v in feed.mix().items()))
    advance = report.progress(len(stream), "publishing the force feed")
    topics = GROUP_TOPICS["participants"]
    before = await end_offsets(bootstrap, topics)
    started = time.monotonic()
    await publish_paced(bootstrap, stream, rate_per_s, advance)
    took = time.monotonic() - started
    after = await end_offsets(bootstrap, topics)
    # Where the feed landed: screening is done once the participants group is past it.
    cycle.fed = {tp: end for tp, end in after.items() if end > before.get(tp, 0)}
    cycle.result.events_published = len(stream)
    return f"{len(stream)} events in {took:.1f}s ({len(stream) / max(took, 1e-6):.0f}/s)"
