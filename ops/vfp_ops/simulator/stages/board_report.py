"""Stage 11: the board's report for the year, kept as HTML and JSON in the run directory;
this cycle's own window shows the theme it made recur, never the one below k."""

import json
from datetime import UTC, datetime, timedelta

from vfp_feedback.service_layer.report import TOP_THEMES
from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.stages.state import CycleState

# The testimonies this cycle gives its recurring theme (stages/testimonies.py).
RECURRING_TESTIMONIES = 3


async def write_board_report(cycle: CycleState) -> str:
    http, board, run_dir, result = cycle.http, cycle.board_token, cycle.env.run_dir, cycle.result
    params = {
        "from": (cycle.started_at - timedelta(days=365)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    }
    report = await http.json("GET", "feedback", "/reports/board", board, params=params)
    html = await http.call("GET", "feedback", "/reports/board.html", board, params=params)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "board-report.html"
    path.write_text(html.text)
    (run_dir / "board-report.json").write_text(json.dumps(report, indent=2))
    result.board_report_path = str(path)
    result.board_report = report
    # The report lists the top recurring themes of the period (whole days): this cycle's must
    # be among them, unless themes with more testimonies (other runs that day) outrank it.
    window = {"from": cycle.started_at.isoformat(), "to": params["to"]}
    cycle_report = await http.json("GET", "feedback", "/reports/board", board, params=window)
    themes = cycle_report.get("recurring_themes", [])
    listed = json.dumps(themes)
    outranked = len(themes) == TOP_THEMES and all(
        theme["testimony_count"] >= RECURRING_TESTIMONIES for theme in themes
    )
    if cycle.recurring_theme not in listed and not outranked:
        raise StageFailed(
            f"{cycle.recurring_theme} is not among the report's recurring themes: "
            f"{[theme['theme_code'] for theme in themes]}"
        )
    if cycle.below_k_theme in listed:
        raise StageFailed(f"{cycle.below_k_theme} (below k) is in the report")
    if "<svg" not in html.text:
        raise StageFailed("the report page has no chart")
    held = report.get("panels_held", {}).get("count")
    return f"{path} ({len(html.text) // 1024} KiB, {held} panels held in the year)"
