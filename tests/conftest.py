"""Shared fixtures: real files, real Chroma in tmp dirs, real jieba. Nothing of ours is mocked."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterable
from pathlib import Path

import pytest

from app.settings import Settings
from ingest.index import run_ingest
from scripts.make_sample_kb import write_pdf  # noqa: F401 - re-exported for the tests

ROOT = Path(__file__).resolve().parent.parent
QUESTION_DATE = dt.date(2026, 3, 1)  # the day test questions are asked on


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # 去年/今年 in test questions mean 2025/2026 whatever day the suite runs (tests/test_dates.py checks 2027)
    return Settings(index_dir=tmp_path / "index", kb_dir=tmp_path / "kb", reference_date=QUESTION_DATE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def index_rows(path: Path, rows: Iterable[dict[str, str]], settings: Settings) -> None:
    """Write passages as a JSONL file (one document each) and ingest it: the few-passage knowledge base
    most answering tests build in tmp_path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    run_ingest([path], settings)


def write_docx(path: Path, paragraphs: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    document.save(path)
    return path


def write_xlsx(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "产业集群"
    sheet.append(["2025年重点产业指标"])
    sheet.merge_cells("A1:C1")
    sheet.append(["单位：亿元，%"])
    sheet.merge_cells("A2:C2")
    sheet.append(["产业", "规上营收（亿元）", "营收增速"])
    sheet.append(["人工智能产业", 143.79, 45.3])
    sheet.append(["数字经济核心产业", 88.5, 12.0])
    for row in sheet.iter_rows(min_row=4, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "0.00"
    book.save(path)
    return path


TINY_KB = {
    "articles/2025年回顾.md": (
        "# 2025年工业回顾\n\n发布日期：2026-01-10\n\n## 新兴产业\n\n"
        "去年全年，全市人工智能产业规上营收达到143.79亿元，同比增长45.30%。\n\n"
        "机器人与数控机床产业集群1—11月营收增速为28.1%，居全省第一。\n\n"
        "## 企业培育\n\n去年新增国家级重点小巨人企业3家，省专精特新中小企业17家。\n\n"
        "获得年度领航企业称号的是青禾科技、蓝湾智能和远帆数据三家企业。\n\n"
        "## 人物\n\n市经信局局长为李明远。\n"
    ),
    "articles/2026年计划.md": (
        "# 2026年工作计划\n\n发布日期：2026-02-01\n\n"
        "2026年，我们将重点抓好三项工作。\n\n一、壮大人工智能产业\n\n推进算力集群建设。\n\n"
        "二、强化企业培育\n\n扩容四级企业培育库。\n\n三、深化两化改造\n\n培育数字化标杆企业。\n"
    ),
}


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    for rel, text in TINY_KB.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "indicators").mkdir()
    write_xlsx(root / "indicators" / "指标.xlsx")
    return root
