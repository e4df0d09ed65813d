"""Bar charts beside an answer's indicator table: one measure per chart, its unit on the value axis."""

from __future__ import annotations

from typing import Any

from app.present import charts, text_md
from app.schema import Answer


def draw_charts(answer: Answer, where: Any) -> None:
    """A value and its growth rate never share an axis (app.present.charts decides what is drawn)."""
    for chart in charts(answer):
        axis = f"{chart.title}（{chart.unit}）" if chart.unit else chart.title
        where.caption(text_md(axis))
        where.bar_chart({"对象": list(chart.points), axis: list(chart.points.values())}, x="对象", y=axis,
                        horizontal=True, height=60 + 28 * len(chart.points))
