"""app.patterns is the one place figures, dates and periods are recognised; the stages that used copies of
its patterns (present, tables, policy) read text as it does."""

from __future__ import annotations

import pytest

from app.patterns import FIGURE_CELL, PERIOD_SPAN, YEAR_NIAN
from app.present import metric_name, pending
from app.scan import scan
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


@pytest.mark.parametrize("cell", ["143.79", "1,250", "-0.8", "+3", "28.1%", "2025", "2,3", "12,34.5", "1,2345", "3."])
def test_a_sheet_figure_is_what_the_scanner_reads_as_one_value(cell: str) -> None:
    """Ingest takes a cell for a figure (and gives it the column's unit) exactly when the scanner that
    verifies answers reads the whole cell as one value."""
    unsigned = cell.lstrip("+-")
    values = scan(unsigned)
    assert bool(FIGURE_CELL.fullmatch(cell)) == (len(values) == 1 and values[0].raw == unsigned)


@pytest.mark.parametrize(("header", "year", "span"), [
    ("2025年1—11月营收增速", "2025", "1—11月"), ("2026 年一季度产值", "2026", "一季度"), ("上半年增加值", "", "上半年"),
    ("1到11月营收", "", "1到11月"), ("12月底企业数", "", ""), ("11月5日产量", "", ""),
])
def test_the_period_a_header_states(header: str, year: str, span: str) -> None:
    found = YEAR_NIAN.search(header)
    assert (found.group(1) if found else "") == year
    rest = YEAR_NIAN.sub(" ", header)
    found_span = PERIOD_SPAN.search(rest)
    assert (found_span.group(0) if found_span else "") == span


def test_an_earlier_year_before_nian_is_a_year() -> None:
    """'始建于1889年' answers a 哪一年 question: before 年 a four-digit year before 1900 is a year too (before,
    only 19xx/20xx were, and 1889年 was read as an amount of years, so the sentence did not fit the question)."""
    from app.values import fitness

    assert fitness("date", "这座钟楼始建于1889年。") == fitness("date", "这座钟楼始建于1989年。") > 0
    assert fitness("date", "这座钟楼始建于1889年3月。") == fitness("date", "这座钟楼始建于1989年3月。")
