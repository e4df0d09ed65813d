"""Indicator sheets -> records: title rows, unit row, (two-level) headers, one record per data cell.

Each record keeps its sheet and cell (`产业集群!C5`) and a readable fact line used for retrieval and
quoting: "2025年人工智能产业规上营收为143.79亿元".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from app.patterns import FIGURE_CELL, PERIOD_SPAN, YEAR_NIAN
from app.schema import Record, Section

# Minus signs and percent signs of other widths, as typed in Chinese sheets (−0.8, －2.5, 3％)
_SIGNS = str.maketrans({"−": "-", "－": "-", "﹣": "-", "＋": "+", "％": "%"})
# Statistical tables write "no figure" as a dash of some width, a slash or dots: such a cell has no value
_NO_VALUE = re.compile(r"^[-—–－―−~～/／\\.。…·*]+$")
_UNIT_WORDS = (
    "元|美元|欧元|港元|家|个|户|人|人次|名|位|项|件|台|套|辆|艘|架|座|所|吨|千克|公斤|克|千瓦时|度|千瓦|兆瓦|"
    "平方米|平方公里|亩|公顷|公里|米|立方米|升|标准煤|吨标准煤|张|条|批|只|部|笔|宗|次|天|小时"
)
# A unit is a measure word with an optional magnitude (亿元, 万人次), a ratio of two (元/吨), or a rate sign.
# Anything else in brackets ("服装箱包童车", "亿元以上") is part of the name, never a unit.
_UNIT = re.compile(
    rf"^(?:%|‰|个?百分点|倍|[十百千万亿]*(?:{_UNIT_WORDS})(?:\s*/\s*[十百千万亿]*(?:{_UNIT_WORDS}))?)$"
)
_BRACKETED = re.compile(r"[（(]\s*(?:单位\s*[:：]\s*)?([^（）()]{1,12}?)\s*[)）]")
_UNIT_ROW = re.compile(r"单位\s*[:：]\s*(.+)")
_UNIT_HEADER = re.compile(r"^(?:计量)?单位$")
# The year and the part of a year a figure covers (1-11月, 一季度, 上半年, 11月): app.patterns
_YEAR, _SPAN = YEAR_NIAN, PERIOD_SPAN
_CELL_NAME = re.compile(r"([A-Z]{1,3})(\d{1,7})")  # C5, AB120: as far as a sheet reaches (XFD1048576)
_RATE_WORDS = ("增速", "增长", "增幅", "占比", "比重", "率", "同比")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_position(name: str) -> tuple[int, int] | None:
    """'C5' -> (5, 3): the row and 1-based column of a cell name (column_letter's inverse); None for
    anything else."""
    m = _CELL_NAME.fullmatch(name)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def format_cell(value: Any, number_format: str = "General") -> str:
    """A cell as people read it: keep the sheet's decimals (45.30 stays 45.30), percent cells as 28.1%."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        fmt = number_format or "General"
        decimals = len(m.group(1)) if (m := re.search(r"0\.(0+)", fmt)) else None
        if "%" in fmt:
            value = value * 100
            return (f"{value:.{decimals}f}" if decimals is not None else f"{value:g}") + "%"
        if decimals is not None:
            return f"{value:.{decimals}f}"
        return f"{value:g}" if isinstance(value, float) else str(value)
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    return str(value).strip()


def xlsx_grid(sheet: Any) -> list[list[str]]:
    """Formatted cell texts with merged ranges filled from their top-left cell."""
    grid = [[format_cell(c.value, c.number_format) for c in row] for row in sheet.iter_rows(min_row=1, min_col=1)]
    for rng in sheet.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else ""
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for c in range(rng.min_col - 1, min(rng.max_col, len(grid[r]))):
                grid[r][c] = top
    return grid


def _is_number(text: str) -> bool:
    return bool(FIGURE_CELL.fullmatch(text.replace(" ", "")))


def _units(text: str) -> list[str]:
    m = _UNIT_ROW.search(text)
    return [u.strip("（）() ") for u in re.split(r"[，,、/；;\s]+", m.group(1)) if u.strip("（）() ")] if m else []


def split_unit(text: str) -> tuple[str, str]:
    """(name without its unit, unit) for '规上营收（亿元）' or '规上营收（亿元）2024年' (a merged header's
    group label and year). A unit closes a name: a bracket inside it ('首台（套）装备') or one that is no
    unit ('时尚产业（服装箱包童车）') stays in the name."""
    for m in reversed(list(_BRACKETED.finditer(text))):
        rest = text[m.end() :].strip()
        if _UNIT.match(m.group(1)) and not _bare(rest):
            return (text[: m.start()] + rest).strip(), m.group(1)
    return text, ""


def _cell_unit(header_unit: str, header: str, row_unit: str, units: list[str]) -> str:
    """Which unit a cell's figure is in: its column's own unit, then a rate column's % from the unit row,
    then its row's unit (a unit column or '（家）' in the row label), then the unit row's level unit.
    A rate column never takes a level unit ('亿元' of the unit column is not the unit of 同比增长)."""
    if header_unit:
        return header_unit
    if any(w in header for w in _RATE_WORDS):
        return "%" if "%" in units else ""
    if row_unit:
        return row_unit
    plain = [u for u in units if u != "%"]
    return plain[0] if plain else ""


def _bare(text: str) -> str:
    """A header or label without the period it names: '1—11月营收增速' -> '营收增速', '2025年' -> ''."""
    return _SPAN.sub("", _YEAR.sub("", text)).strip()


def _column_units(row: list[str]) -> dict[int, str] | None:
    """Per-column units of a row under the header ('单位 | 亿元 | （%）'), or None when the row is not one."""
    if row and row[0] and not _UNIT_HEADER.match(row[0]):
        return None
    found = {c: (m.group(1) if (m := _BRACKETED.fullmatch(v)) else v) for c, v in enumerate(row) if c and v}
    return found if found and all(_UNIT.match(u) for u in found.values()) else None


def _period_in(text: str) -> tuple[str, str]:
    """(year, span) named in a title, sheet name or header: ('2025年', '1-11月'), ('2026年', '一季度')."""
    year = m.group(1) + "年" if (m := _YEAR.search(text)) else ""
    span = re.sub(r"\s+", "", m.group(0)) if (m := _SPAN.search(_YEAR.sub(" ", text))) else ""
    return year, span


def _head(rows: list[list[str]]) -> tuple[list[str], list[str], int]:
    """Title lines, units and the index of the header row: what stands above the table proper.

    A unit cell may share its row with the title ('2025年上半年…指标 | 单位：亿元')."""
    titles: list[str] = []
    units: list[str] = []
    for i, row in enumerate(rows):
        values = [v for v in row if v]
        if not values:
            continue
        unit_cells = [v for v in values if _UNIT_ROW.search(v)]
        if unit_cells:
            units = _units(" ".join(dict.fromkeys(unit_cells)))
            # '2025年主要指标（单位：亿元）': the words before 单位 are a title
            before = [m.string[: m.start()].rstrip("（( ") for v in unit_cells if (m := _UNIT_ROW.search(v))]
            titles += [v for v in dict.fromkeys(values) if v not in unit_cells and not _is_number(v)]
            titles += [t for t in dict.fromkeys(before) if t]
        elif len(set(values)) == 1 and not _is_number(values[0]) and len(values) != 2:
            titles.append(values[0])
        else:
            return titles, units, i
    return titles, units, len(rows)


def _two_row_header(headers: list[str], below: list[str]) -> list[str] | None:
    """The combined header when `below` is a header's second row under group labels, else None.

    Group labels are merged over their columns: openpyxl repeats them (filled from the merge), a CSV
    export leaves the cells after the first blank — those are filled from the left."""
    if not any(v for v in below[1:]) or any(_is_number(v) for v in below[1:] if v) or _column_units(below):
        return None
    below = below + [""] * (len(headers) - len(below))
    named = [h for h in headers[1:] if h]
    repeated = len(set(named)) < len(named)
    gaps = any(not headers[c] and below[c] and headers[c - 1] for c in range(2, len(headers)))
    if not (repeated or gaps):
        return None
    top = list(headers)
    for c in range(2, len(top)):
        if not top[c] and below[c]:
            top[c] = top[c - 1]
    return [f"{t}{low}" if t and low and t != low else t or low for t, low in zip(top, below, strict=False)]


def sheet_sections(grid: list[list[str]], sheet: str) -> list[Section]:
    """Records for every data cell, plus one section that describes the sheet (title, unit, columns).

    The period of a record is its column's (2024年, 1—11月), then its row's when the row label is only a
    period (a row per year or month), then the title's, or the sheet name's when the title names no year
    ('2026年一季度' sheets of one workbook); year and span are completed separately. It leads the fact
    line, so retrieval and the extractive answerer see '2025年1-11月…' on the cell itself."""
    rows = [[c.strip() for c in row] for row in grid]
    titles, units, i = _head(rows)
    if i >= len(rows):
        return [Section("\n".join(titles), f"{sheet}!A1")] if titles else []
    header_index = i
    headers = list(rows[i])
    i += 1
    if i < len(rows) and (combined := _two_row_header(headers, rows[i])) is not None:
        headers = combined
        i += 1
    column_units: dict[int, str] = {}
    while i < len(rows):
        if any(_UNIT_ROW.search(v) for v in rows[i] if v):
            units = _units(" ".join(v for v in rows[i] if v))
        elif (found := _column_units(rows[i])) is not None:
            column_units = found
        else:
            break
        i += 1
    title = titles[0] if titles else sheet
    base = _period_in(" ".join(titles))
    if not base[0]:
        base = (_period_in(sheet)[0], base[1] or _period_in(sheet)[1])
    unit_column = next((c for c, h in enumerate(headers) if _UNIT_HEADER.match(h)), None)
    described = [*titles, f"单位：{'、'.join(units)}" if units else "", "指标：" + "、".join(h for h in headers if h)]
    sections = [Section("；".join(x for x in described if x) + "。", f"{sheet}!A{header_index + 1}")]
    for r in range(i, len(rows)):
        row = rows[r]
        if not row or not row[0] or not any(row[1:]):
            continue
        label, row_unit = split_unit(row[0])
        row_period = ("", "")
        if not _bare(label):  # the row is a period (2025年, 1-11月): it says when, not what
            row_period, label = _period_in(label), ""
        if unit_column is not None and unit_column < len(row) and row[unit_column]:
            row_unit = row[unit_column]
        for c in range(1, min(len(row), len(headers))):
            value = row[c]
            if not value or _NO_VALUE.match(value) or not headers[c] or c == unit_column:
                continue
            column, header_unit = split_unit(headers[c])
            unit = _cell_unit(header_unit or column_units.get(c, ""), column, row_unit, units)
            if _is_number(value.translate(_SIGNS)):
                value = value.translate(_SIGNS).replace(" ", "")
                if value.endswith("%"):
                    value, unit = value[:-1], "%"
            else:
                unit = ""
            layers = (_period_in(column), row_period, base)
            period = next((y for y, _ in layers if y), "") + next((sp for _, sp in layers if sp), "")
            cell = f"{sheet}!{column_letter(c)}{r + 1}"
            fact = f"{period}{label}{_bare(column)}为{value}{unit}"
            sections.append(
                Section(
                    f"{fact}（{title}）",
                    cell,
                    Record(sheet, cell, label, column, value, unit, period, fact),
                )
            )
    return sections


_TABLE_LABEL = re.compile(r"^表\s*[\d一二三四五六七八九十]+\s*[.、:：]?\s*")
_CAPTION_MAX_CHARS = 50  # a caption is a line, never a paragraph of body text
_CAPTION_LINES = 3  # table number + title, a subtitle, a unit line
_SENTENCE_END = tuple("。；;！？!?：:，,")  # a caption ends in none of these ("详见下表：" leads into it)


def caption_of(lines_above: list[str]) -> list[str]:
    """The caption of a table inside a document: the short lines right above it that are no sentence
    ('表1 2025年各镇街道规上工业产值', '单位：亿元，%'), nearest last, without the table's number."""
    found: list[str] = []
    for text in reversed([t.strip() for t in lines_above]):
        if len(found) == _CAPTION_LINES or not text or len(text) > _CAPTION_MAX_CHARS or text.endswith(_SENTENCE_END):
            break
        found.append(text)
    return [_TABLE_LABEL.sub("", t) or t for t in reversed(found)]


def captioned_sections(grid: list[list[str]], caption: list[str], sheet: str) -> list[Section]:
    """A table inside a document read as a sheet with its caption lines as the title and unit rows
    above it (the period and units they name reach every record); cells are located in the table
    itself, whose first row is row 1."""
    width = max((len(row) for row in grid), default=1)
    sections = sheet_sections([[c] + [""] * (width - 1) for c in caption] + grid, sheet)
    return [_shifted(s, len(caption)) for s in sections] if caption else sections


def _shifted(section: Section, rows: int) -> Section:
    sheet, _, cell = section.locator.rpartition("!")
    at = cell_position(cell)
    if not at:
        return section
    locator = f"{sheet}!{column_letter(at[1] - 1)}{max(1, at[0] - rows)}"
    record = replace(section.record, cell=locator) if section.record else None
    return replace(section, locator=locator, record=record)


def docx_table_sections(grid: list[list[str]], number: int, caption: list[str] | None = None) -> list[Section]:
    """A table inside a Word document, read as a small sheet named 表N under its caption."""
    return captioned_sections(grid, caption or [], f"表{number}")
