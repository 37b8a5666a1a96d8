"""`make bench` keeps working: a small run on the real Kafka and PostgreSQL prints every figure
and ends with the ratio line (the figures themselves are for people, not for assertions)."""

import re
import subprocess
import sys


def test_a_small_benchmark_prints_each_figure_and_the_ratio_last() -> None:
    small = ["--events", "1200", "--small-events", "20", "--batch", "200", "--rounds", "1"]
    run = subprocess.run(
        [sys.executable, "-m", "vfp_bench", *small],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.strip().splitlines()
    figures = [line for line in lines if line.endswith("events/s")]
    assert [line.split(",")[0].split(" (")[0] for line in figures] == [
        "raw aiokafka+asyncpg loop",
        "same work as the pipeline by hand",
        "pipeline",
        "pipeline",
    ]
    assert all(float(re.findall(r"([\d,]+) events/s", f)[0].replace(",", "")) > 0 for f in figures)
    assert re.fullmatch(r"ratio: \d+\.\d\d", lines[-1])
