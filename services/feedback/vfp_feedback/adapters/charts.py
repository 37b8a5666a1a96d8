"""Charts for the board report: matplotlib (no display) rendered to inline SVG."""

import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def panel_labels(panels: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each panel by the day it was held and its title (shortened)."""
    return [f"{p['held_at']:%Y-%m-%d} {str(p['title'])[:24]}" for p in panels]


def survey_figure(panels: Sequence[Mapping[str, Any]]) -> Figure:
    """Mean usefulness and understanding before/after, one point per panel: at its own place
    on the axis, so panels whose labels match are not drawn as one."""
    figure, axes = plt.subplots(figsize=(7, 3.2))
    places = list(range(len(panels)))
    for key, name in (
        ("usefulness", "Usefulness"),
        ("understanding_before", "Understanding before"),
        ("understanding_after", "Understanding after"),
    ):
        means = [next((q["mean"] for q in p["questions"] if q["key"] == key), None) for p in panels]
        axes.plot(
            places, [m if m is not None else float("nan") for m in means], marker="o", label=name
        )
    axes.set_xticks(places, panel_labels(panels))
    axes.set_ylim(0, 5.2)
    axes.set_ylabel("mean score (1-5)")
    axes.set_title("Staff survey by panel")
    axes.legend(loc="lower right", fontsize="small")
    figure.autofmt_xdate()
    return figure


def survey_trend(panels: Sequence[Mapping[str, Any]]) -> str | None:
    """The survey means per panel as an inline SVG; None when no panel has been surveyed."""
    return _svg(survey_figure(panels)) if panels else None


def referrals_per_month(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Stacked bars: referrals per month, one colour per service."""
    if not rows:
        return None
    months = sorted({str(r["month"]) for r in rows})
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[str(row["service_ref"])][str(row["month"])] = int(row["count"])
    figure, axes = plt.subplots(figsize=(7, 3.2))
    bottom = [0] * len(months)
    for service, by_month in sorted(counts.items()):
        values = [by_month.get(m, 0) for m in months]
        axes.bar(months, values, bottom=bottom, label=service)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("referrals")
    axes.set_title("Referrals to support services per month")
    axes.legend(fontsize="small")
    return _svg(figure)


def themes_by_polarity(themes: Sequence[Mapping[str, Any]]) -> str | None:
    """Victims per theme, what worked well against what could have been better."""
    shown = [t for t in themes if t["positive"] or t["negative"]]
    if not shown:
        return None
    figure, axes = plt.subplots(figsize=(7, 0.5 + 0.4 * len(shown)))
    labels = [str(t["label"]) for t in shown]
    axes.barh(labels, [t["positive"] or 0 for t in shown], color="#2a9d8f", label="worked well")
    axes.barh(
        labels,
        [-(t["negative"] or 0) for t in shown],
        color="#e76f51",
        label="could have been better",
    )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):g}"))
    axes.set_xlabel("victims (counts under k are not shown)")
    axes.legend(fontsize="small")
    return _svg(figure)
