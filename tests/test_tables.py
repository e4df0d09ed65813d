"""Indicator sheets of other layouts than kb/'s: each sheet is built in the test, its records asserted exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.answer import Assistant
from app.settings import Settings
from ingest.chunk import chunk_document
from ingest.index import run_ingest
from ingest.load import load
from ingest.tables import sheet_sections


def facts(path: Path) -> list[tuple[str, str]]:
    """(cell, fact line) of every record the file yields, in sheet order."""
    return [(c.locator, c.record.fact) for d in load(path, f"kb/{path.name}") for c in chunk_document(d, 240) if c.record]


def write_book(path: Path, sheets: dict[str, list[list[Any]]], merges: dict[str, list[str]] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for rng in (merges or {}).get(name, []):
            sheet.merge_cells(rng)
    book.save(path)
    return path


CLUSTERS = [
    ["2025年1-11月重点产业集群主要指标"],
    ["单位：亿元"],
    ["产业集群", "规上企业数（家）", "规上营收", "规上营收增速（%）"],
    ["时尚产业（服装箱包童车）", 412, 96.3, -3.2],
    ["新能源汽车产业集群", 105, 455.21, 12.6],
]


def test_title_period_header_units_and_label_parentheses(tmp_path: Path) -> None:
    path = write_book(tmp_path / "集群.xlsx", {"集群": CLUSTERS}, {"集群": ["A1:D1", "A2:D2"]})
    assert facts(path) == [
        ("集群!B4", "2025年1-11月时尚产业（服装箱包童车）规上企业数为412家"),
        ("集群!C4", "2025年1-11月时尚产业（服装箱包童车）规上营收为96.3亿元"),
        ("集群!D4", "2025年1-11月时尚产业（服装箱包童车）规上营收增速为-3.2%"),
        ("集群!B5", "2025年1-11月新能源汽车产业集群规上企业数为105家"),
        ("集群!C5", "2025年1-11月新能源汽车产业集群规上营收为455.21亿元"),
        ("集群!D5", "2025年1-11月新能源汽车产业集群规上营收增速为12.6%"),
    ]
    record = next(c.record for d in load(path, "kb/集群.xlsx") for c in chunk_document(d, 240) if c.record)
    assert (record.row_label, record.column, record.value, record.unit, record.period) == (
        "时尚产业（服装箱包童车）", "规上企业数", "412", "家", "2025年1-11月",
    )


def test_quarter_title_unit_column_and_no_value_cells(tmp_path: Path) -> None:
    path = tmp_path / "一季度.csv"
    path.write_text(
        "2026年一季度工业经济主要指标\n"
        "指标,计量单位,一季度,同比增长（%）\n"
        "规上工业产值,亿元,512.4,-1.5\n"
        "新开工项目数（亿元以上）,个,38,—\n"
        "首台（套）装备入选企业,家,6,\n"
        "技改投资,亿元,－,/\n",
        encoding="utf-8",
    )
    assert facts(path) == [
        ("一季度!C3", "2026年一季度规上工业产值为512.4亿元"),
        ("一季度!D3", "2026年一季度规上工业产值同比增长为-1.5%"),
        ("一季度!C4", "2026年一季度新开工项目数（亿元以上）为38个"),
        ("一季度!C5", "2026年一季度首台（套）装备入选企业为6家"),
    ]


def test_title_and_unit_in_one_row(tmp_path: Path) -> None:
    rows = [
        ["2025年上半年数字经济指标", None, "单位：亿元"],
        ["产业", "营业收入", "增速（%）"],
        ["软件和信息服务业", 61.5, 8.2],
    ]
    path = write_book(tmp_path / "数字经济.xlsx", {"数字经济": rows}, {"数字经济": ["A1:B1"]})
    assert facts(path) == [
        ("数字经济!B3", "2025年上半年软件和信息服务业营业收入为61.5亿元"),
        ("数字经济!C3", "2025年上半年软件和信息服务业增速为8.2%"),
    ]


def test_two_row_header_with_merged_cells(tmp_path: Path) -> None:
    rows = [
        ["各镇街道主要指标"],
        ["镇街道", "规上营收（亿元）", None, "规上企业数（家）", None],
        [None, "2024年", "2025年", "2024年", "2025年"],
        ["当湖街道", 100.5, 110.25, 85, 92],
    ]
    path = write_book(tmp_path / "镇街道.xlsx", {"镇街道": rows}, {"镇街道": ["A1:E1", "A2:A3", "B2:C2", "D2:E2"]})
    assert facts(path) == [
        ("镇街道!B4", "2024年当湖街道规上营收为100.5亿元"),
        ("镇街道!C4", "2025年当湖街道规上营收为110.25亿元"),
        ("镇街道!D4", "2024年当湖街道规上企业数为85家"),
        ("镇街道!E4", "2025年当湖街道规上企业数为92家"),
    ]


def test_two_row_header_exported_to_csv(tmp_path: Path) -> None:
    """A merged group label exported to CSV sits in its first cell only; the cells after it are blank."""
    path = tmp_path / "镇街道.csv"
    path.write_text(
        "镇街道,规上营收（亿元）,,规上企业数（家）,\n,2024年,2025年,2024年,2025年\n当湖街道,100.5,110.25,85,92\n",
        encoding="utf-8",
    )
    assert facts(path) == [
        ("镇街道!B3", "2024年当湖街道规上营收为100.5亿元"),
        ("镇街道!C3", "2025年当湖街道规上营收为110.25亿元"),
        ("镇街道!D3", "2024年当湖街道规上企业数为85家"),
        ("镇街道!E3", "2025年当湖街道规上企业数为92家"),
    ]


def test_several_sheets_take_their_period_from_the_sheet_name(tmp_path: Path) -> None:
    header = ["指标", "数值（亿元）", "增速（%）"]
    path = write_book(
        tmp_path / "分期.xlsx",
        {"2025年": [header, ["规上工业增加值", 358.6, 7.5]], "2026年一季度": [header, ["规上工业增加值", 92.4, 6.1]]},
    )
    assert facts(path) == [
        ("2025年!B2", "2025年规上工业增加值数值为358.6亿元"),
        ("2025年!C2", "2025年规上工业增加值增速为7.5%"),
        ("2026年一季度!B2", "2026年一季度规上工业增加值数值为92.4亿元"),
        ("2026年一季度!C2", "2026年一季度规上工业增加值增速为6.1%"),
    ]


def test_signs_and_placeholders_in_a_grid() -> None:
    """Minus signs of any width keep the sign; a dash of any width, a slash or an empty cell is no value."""
    grid = [
        ["2025年增速表"],
        ["产业", "增速（%）"],
        ["甲产业", "−0.8"],
        ["乙产业", "－2.5"],
        ["丙产业", "-"],
        ["丁产业", "——"],
        ["戊产业", ""],
    ]
    assert [s.record.fact for s in sheet_sections(grid, "表") if s.record] == [
        "2025年甲产业增速为-0.8%",
        "2025年乙产业增速为-2.5%",
    ]


def test_cluster_growth_for_1_to_11_months_is_answered_from_the_sheet(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    write_book(kb / "集群.xlsx", {"集群": CLUSTERS}, {"集群": ["A1:D1", "A2:D2"]})
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("时尚产业集群1-11月营收增速是多少")
    assert answer.answerable and "-3.2%" in answer.answer
    assert answer.citations[0].locator == "集群!D4"
    assert "-3.2%" in answer.citations[0].quote


def test_a_row_per_period_and_units_under_the_header() -> None:
    """Rows labelled only by a period (年份 or months) take it as theirs; the title's unit is in brackets."""
    grid = [
        ["规上工业主要指标（单位：亿元）"],
        ["年份", "规上工业产值", "产值增速"],
        ["", "", "（%）"],
        ["2024年", "1795.6", "6.1"],
        ["2025年", "1923.3", "7.2"],
    ]
    months = [["2025年规上工业产值"], ["月份", "产值（亿元）"], ["1-2月", "301.7"], ["1—3月", "468.2"]]
    assert [(s.locator, s.record.fact) for s in sheet_sections(grid, "年度") + sheet_sections(months, "月度") if s.record] == [
        ("年度!B4", "2024年规上工业产值为1795.6亿元"),
        ("年度!C4", "2024年产值增速为6.1%"),
        ("年度!B5", "2025年规上工业产值为1923.3亿元"),
        ("年度!C5", "2025年产值增速为7.2%"),
        ("月度!B3", "2025年1-2月产值为301.7亿元"),
        ("月度!B4", "2025年1—3月产值为468.2亿元"),
    ]
    assert sheet_sections(grid, "年度")[0].text == "规上工业主要指标；单位：亿元；指标：年份、规上工业产值、产值增速。"


def test_a_cell_is_one_figure_only_when_the_value_scanner_reads_one() -> None:
    """'2,3' (two batches) took the column's unit as if it were one figure, while the value scanner that
    verifies answers reads 2 and 3; a cell is a figure by the same number pattern (app.patterns), so a
    grouped 1,250 still is one."""
    grid = [
        ["2025年企业获评表"],
        ["企业", "获评批次（批）", "奖励资金（万元）"],
        ["青禾科技", "2,3", "1,250"],
    ]
    assert [s.record.fact for s in sheet_sections(grid, "表") if s.record] == [
        "2025年青禾科技获评批次为2,3",
        "2025年青禾科技奖励资金为1,250万元",
    ]
