"""app.patterns is the one place figures, dates and periods are recognised; the stages that used copies of
its patterns (present, tables, policy) read text as it does."""

from __future__ import annotations

from app.present import metric_name, pending
from app.schema import Record


def test_a_column_period_written_with_dao_is_said_once() -> None:
    """'1到11月' is a month span for ingest (the record's period carries it), so the chart and table name
    drop it from the column as they drop '1—11月'; present's own copy lacked 到 and said it twice."""
    r = Record("表", "表!B3", "机器人产业", "1到11月营收增速", "6.2", "%", "2025年1到11月", "")
    assert metric_name(r) == "2025年1到11月营收增速"
    r = Record("表", "表!B3", "机器人产业", "1—11月营收增速", "6.2", "%", "2025年1—11月", "")
    assert metric_name(r) == "2025年1—11月营收增速"


def test_streaming_text_masks_every_figure_but_citation_markers() -> None:
    shown = pending("二〇二五年营收3,120.5亿元，增长百分之十二[1]。")
    assert "3" not in shown and "二〇二五" not in shown and "[1]" in shown.replace("\\", "")
