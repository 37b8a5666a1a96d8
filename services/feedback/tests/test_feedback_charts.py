"""The board report's charts: every panel keeps its own point and label."""

from datetime import UTC, datetime

import matplotlib.pyplot as plt
import numpy

from vfp_feedback.adapters.charts import panel_labels, survey_figure

TITLE = "Domestic abuse: first response, part {}"


def a_panel(day: int, part: int) -> dict[str, object]:
    return {
        "title": TITLE.format(part),
        "held_at": datetime(2030, 3, day, 18, tzinfo=UTC),
        "questions": [{"key": "usefulness", "mean": float(part)}],
    }


def test_panels_whose_titles_start_alike_are_told_apart_by_their_date() -> None:
    panels = [a_panel(4, 1), a_panel(18, 2)]
    assert panel_labels(panels) == [
        "2030-03-04 Domestic abuse: first re",
        "2030-03-18 Domestic abuse: first re",
    ]


def test_panels_with_the_same_label_are_still_two_points() -> None:
    figure = survey_figure([a_panel(4, 1), a_panel(4, 2)])
    try:
        usefulness = figure.axes[0].lines[0]
        assert numpy.asarray(usefulness.get_xydata()).tolist() == [[0, 1.0], [1, 2.0]]
    finally:
        plt.close(figure)
