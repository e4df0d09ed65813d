"""Tables inside a PDF -> indicator records, as for a sheet: '第2页 表1!B3' with its row, column and unit.

pypdf reads a ruled table as a stream of loose cells ('当湖街道\\n312.5\\n6.2'), one per line, with the
header far above: a chunk of that text carries figures without the column they belong to, and the
extractive answerer could quote '312.5' for a question about growth. So on a page where pdfplumber
finds a table, the page text keeps only what lies outside the tables (pdfplumber's reading of the same
page) and each table becomes a grid for `tables.sheet_sections`, with the caption lines right above it
('表1 2025年各镇街道规上工业产值', '单位：亿元，%') as its title and unit rows. Every figure of the table is
then in the index once, as a fact line with its row label, column, period and unit. Pages without a
table keep pypdf's text untouched.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfexceptions import PDFException
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from app.patterns import FIGURE_CELL
from app.schema import Section
from ingest import tables

_log = logging.getLogger(__name__)
_PAGE = re.compile(r"^第(\d+)页")
_TEXT_PAGE = re.compile(r"第(\d+)页")  # a page read from its text layer; '第3页·OCR识别' is kept as it is
_CAPTION_GAP = 2.5  # a caption sits within this many line heights of what it captions
_MINUS = "−－﹣-"
_PATH_OP = re.compile(rb"(?<![A-Za-z*'\"])(?:re|l)(?=\s)")  # a rectangle or a line segment
_MIN_RULES = 4  # two rows of two cells need at least four rules (or four cell rectangles)
# Table reading stops after this long and the remaining pages keep their plain text: the whole PDF is
# parsed under KBQA_PARSE_TIMEOUT (60 s by default), and tables must never cost the file its text.
# ~0.35 s a table page (bench/pdf_tables_bench.py): about 85 table pages fit.
BUDGET_S = 30.0
_FAILURES = (PdfminerException, MalformedPDFException, PDFException, PSException, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class _Table:
    bbox: tuple[float, float, float, float]
    grid: list[list[str]]


def _cell(text: str | None) -> str:
    """A cell as one line: a Chinese label wrapped inside its cell is joined without a space."""
    if not text:
        return ""
    return re.sub(r"(?<=[^\x00-\x7f])\s*\n\s*|\s*\n\s*(?=[^\x00-\x7f])", "", text).replace("\n", " ").strip()


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (float(obj.get("x0", 0)) + float(obj.get("x1", 0))) / 2
    y = (float(obj.get("top", 0)) + float(obj.get("bottom", 0))) / 2
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _outside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    return not _inside(obj, boxes)


def _caption(lines: list[dict[str, Any]], table: _Table, floor: float) -> list[str]:
    """The caption lines right above a table (`tables.caption_of`), between `floor` (the previous
    table's bottom or the page top) and the table, each within a few line heights of the next."""
    above = [ln for ln in lines if floor <= float(ln["bottom"]) <= table.bbox[1] + 1]
    near: list[str] = []
    edge = table.bbox[1]
    for ln in reversed(above):
        if edge - float(ln["bottom"]) > _CAPTION_GAP * max(1.0, float(ln["bottom"]) - float(ln["top"])):
            break
        near.append(str(ln["text"]))
        edge = float(ln["top"])
    return tables.caption_of(near[::-1])


def _unsigned_figure(value: str) -> bool:
    """A cell the sheet reader takes for a figure (`FIGURE_CELL`, as `tables` reads cells: '2,3' is two
    numbers, not one) and that carries no sign of its own."""
    return value[:1].isdigit() and bool(FIGURE_CELL.fullmatch(value.replace(" ", "")))


def _signed(grid: list[list[str]], page_text: str) -> list[list[str]]:
    """Restore a minus sign pdfminer dropped: some CID fonts (STSong-Light's U+2212) decode to nothing
    there while the page's other text layer (pypdf) has '−1.5'. A figure that stands on the page only
    with a minus right before it gets the sign back; one found unsigned anywhere is left as it is. The
    minus must touch the figure: pypdf puts each cell on its own line, and a '-' cell (no data) on the
    line before a figure is no sign of it."""
    out = []
    for row in grid:
        fixed = []
        for value in row:
            if _unsigned_figure(value):
                before = [page_text[m.start() - 1 : m.start()] for m in re.finditer(rf"(?<![\d.]){re.escape(value)}(?![\d.])", page_text)]
                if before and all(b and b in _MINUS for b in before):
                    value = "-" + value
            fixed.append(value)
        out.append(fixed)
    return out


def _draws_rules(page: Any) -> bool:
    """Whether the page's own content stream draws enough lines or rectangles to rule a table.

    Laying a page out (pdfminer) is what costs: ~190 ms a page against pypdf's ~35 ms, which would
    put a 300-page report past the parse time limit. Counting path operators in the raw stream costs
    next to nothing and rules out the prose pages. A table drawn inside a form XObject is not seen."""
    contents = resolve1(page.page_obj.attrs.get("Contents"))
    streams = contents if isinstance(contents, list) else [contents]
    data = b"".join(s.get_data() for s in (resolve1(x) for x in streams) if isinstance(s, PDFStream))
    return len(_PATH_OP.findall(data)) >= _MIN_RULES


def _page_tables(page: Any) -> list[_Table]:
    """Ruled tables of a page with text in at least two rows and two columns (a frame or a box
    around one paragraph is no table)."""
    found = []
    for t in page.find_tables():
        grid = [[_cell(c) for c in row] for row in t.extract()]
        grid = [row for row in grid if any(row)]
        if len(grid) >= 2 and max(sum(1 for c in row if c) for row in grid) >= 2:
            found.append(_Table(tuple(t.bbox), grid))
    return found


def read_tables(
    path: Path, page_texts: dict[int, str], skip: set[int], budget_s: float = BUDGET_S
) -> tuple[dict[int, tuple[str, list[Section]]], int]:
    """(page number -> (the page's text outside its tables, the tables' sections) for each page with
    a table, the first page left unread because `budget_s` ran out, or 0); tables are numbered through
    the document (表1, 表2 …), as bulletins number them. Pages in `skip` (read by OCR) are not looked at.

    Raises the pdfplumber/pdfminer errors in `_FAILURES`; `with_tables` turns them into a problem."""
    out: dict[int, tuple[str, list[Section]]] = {}
    number = 0
    deadline = time.monotonic() + budget_s
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            if time.monotonic() > deadline:
                return out, page.page_number
            found = _page_tables(page) if page.page_number not in skip and _draws_rules(page) else []
            if not found:
                page.close()
                continue
            found.sort(key=lambda t: t.bbox[1])
            boxes = [t.bbox for t in found]
            lines = page.extract_text_lines()
            sections: list[Section] = []
            floor = 0.0
            for table in found:
                number += 1
                caption = _caption(lines, table, floor)
                floor = table.bbox[3]
                grid = _signed(table.grid, page_texts.get(page.page_number, ""))
                sections += tables.captioned_sections(grid, caption, f"第{page.page_number}页 表{number}")
            outside = page.filter(partial(_outside, boxes=boxes)).extract_text() or ""
            out[page.page_number] = (outside, sections)
            page.close()
    return out, 0


def with_tables(
    path: Path, sections: list[Section], problems: list[dict[str, str]], budget_s: float = BUDGET_S
) -> list[Section]:
    """A PDF's page sections ('第N页') with each ruled table read as records; the page keeps the text
    outside its tables. When the tables cannot be read, or `budget_s` runs out, those pages are kept
    as they are and a problem says their tables were not read as tables."""
    page_texts = {int(m.group(1)): s.text for s in sections if (m := _TEXT_PAGE.fullmatch(s.locator))}
    skip = {int(m.group(1)) for s in sections if (m := _PAGE.match(s.locator))} - page_texts.keys()
    try:
        found, stopped = read_tables(path, page_texts, skip, budget_s)
    except _FAILURES as exc:
        _log.warning("tables of %s not read: %r", path.name, exc)
        problems.append({
            "path": "",
            "reason": f"{path.name} 中的表格未能按表格识别（{type(exc).__name__}），已按页面文字编入；"
            "表格数字可能缺少所属的行列，请核对原文或另存为 Excel 后上传。",
        })
        return sections
    if stopped:
        problems.append({
            "path": "",
            "reason": f"{path.name} 表格较多，第{stopped}页起的表格因耗时超过 {budget_s:g} 秒未按表格识别，已按页面文字编入；"
            "这些表格的数字可能缺少所属的行列，请核对原文，或把表格另存为 Excel 后上传。",
        })
    out: list[Section] = []
    for s in sections:
        m = _TEXT_PAGE.fullmatch(s.locator)
        page = int(m.group(1)) if m else 0
        if page not in found:
            out.append(s)
            continue
        outside, table_sections = found.pop(page)
        if outside.strip():
            out.append(Section(outside, s.locator))
        out += table_sections
    for page in sorted(found):  # a page whose only text is its table: pypdf gave it no section
        outside, table_sections = found[page]
        if outside.strip():
            out.append(Section(outside, f"第{page}页"))
        out += table_sections
    return out
