"""The board report as a readable HTML page, with its charts inline."""

from typing import Any

import jinja2

from vfp_feedback.adapters import charts

_TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("vfp_feedback.adapters", "templates"), autoescape=True
).get_template("board_report.html")


def _mean(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render(report: dict[str, Any]) -> str:
    k = report["k_anonymity"]

    def count(value: int | None) -> str:
        return f"<{k}" if value is None else str(value)

    return _TEMPLATE.render(
        r=report,
        n=count,
        m=_mean,
        themes_chart=charts.themes_by_polarity(report["participants"]["by_theme"]),
        survey_chart=charts.survey_trend(report["survey"]["panels"]),
        referrals_chart=charts.referrals_per_month(report["referrals"]["per_service_per_month"]),
    )
