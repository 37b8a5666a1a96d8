"""``make bench``: events/s through consume → inbox → domain write → outbox → relay → publish,
at batch size 1 and at a large batch, next to a raw aiokafka + asyncpg batched loop measured
in the same run on the same broker and database, and next to the same work as ours written by
hand (the floor of that work here: how much of the gap is the work and how much is ours). Each
large-batch figure is the median of `--rounds` runs, interleaved so all see the same machine.
Prints one line per figure, then `ratio: X` (our batched events/s ÷ the raw baseline's)."""

import argparse
import asyncio
import statistics
import sys
import time

from vfp_bench.by_hand import measure_by_hand
from vfp_bench.pipeline import measure_pipeline
from vfp_bench.raw_baseline import measure_raw_baseline
from vfp_bench.workload import produce_case_closed
from vfp_shared.serve import freeze_what_lives_on
from vfp_shared.settings import PlatformSettings
from vfp_shared.telemetry import configure_tracing


async def main(events: int, small_events: int, batch: int, rounds: int) -> float:
    settings = PlatformSettings()
    # As in every service: spans are recorded (not exported) for every event.
    configure_tracing("bench", sample_ratio=settings.otel_sample_ratio)
    freeze_what_lives_on()  # as every service process does before it starts
    print(f"producing {events} case-closed events to measure on ...", file=sys.stderr)
    start = await produce_case_closed(settings, events)

    raw, ours, by_hand = [], [], []
    for round_ in range(1, rounds + 1):
        print(f"round {round_}/{rounds} ...", file=sys.stderr)
        raw.append(await measure_raw_baseline(settings, start, events, batch=batch))
        ours.append(await measure_pipeline(settings, start, events, batch=batch))
        by_hand.append(await measure_by_hand(settings, start, events, batch=batch))
    one = await measure_pipeline(settings, start, small_events, batch=1)

    raw_median, ours_median = statistics.median(raw), statistics.median(ours)
    floor = statistics.median(by_hand)
    print(f"raw aiokafka+asyncpg loop, batch {batch} ({events} events): {raw_median:,.0f} events/s")
    print(
        f"same work as the pipeline by hand (no framework, tracing or retries), batch {batch} "
        f"({events} events): {floor:,.0f} events/s"
    )
    print(f"pipeline, batch size 1 ({small_events} events): {one:,.0f} events/s")
    print(f"pipeline, batch size {batch} ({events} events): {ours_median:,.0f} events/s")
    print(f"pipeline ÷ same work by hand: {ours_median / floor:.2f}")
    ratio = ours_median / raw_median
    print(f"ratio: {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument(
        "--small-events", type=int, default=1_000, help="events for the batch-size-1 run (slow)"
    )
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    asyncio.run(main(args.events, args.small_events, args.batch, args.rounds))
    print(f"(the benchmark took {time.monotonic() - started:.0f}s)", file=sys.stderr)
