"""Indicator sheets -> records: title rows, unit row, (two-level) headers, one record per data cell.

Each record keeps its sheet and cell (`产业集群!C5`) and a readable fact line used for retrieval and
quoting: "2025年人工智能产业规上营收为143.79亿元".
"""

from __future__ import annotations

import re
from typing import Any

from app.schema import Record, Section

_NUMBER = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?%?$")
_UNIT_IN_HEADER = re.compile(r"[（(]([^（）()]{1,8})[)）]\s*$")
_UNIT_ROW = re.compile(r"单位\s*[:：]\s*(.+)")
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
_MONTHS = re.compile(r"\d{1,2}\s*[—\-–~至]\s*\d{1,2}\s*月")
_RATE_WORDS = ("增速", "增长", "增幅", "占比", "比重", "率", "同比")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


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
    return bool(_NUMBER.match(text.replace(" ", "")))


def _units(text: str) -> list[str]:
    m = _UNIT_ROW.search(text)
    return [u.strip() for u in re.split(r"[，,、/；;\s]+", m.group(1)) if u.strip()] if m else []


def _column_unit(header: str, units: list[str]) -> tuple[str, str]:
    """(column name without its unit, unit) for a header such as '规上营收（亿元）' or '增速'."""
    if m := _UNIT_IN_HEADER.search(header):
        return header[: m.start()].strip(), m.group(1).strip()
    if any(w in header for w in _RATE_WORDS) and "%" in units:
        return header, "%"
    plain = [u for u in units if u != "%"]
    return header, (plain[0] if plain else "")


def sheet_sections(grid: list[list[str]], sheet: str) -> list[Section]:
    """Records for every data cell, plus one section that describes the sheet (title, unit, columns)."""
    rows = [[c.strip() for c in row] for row in grid]
    titles: list[str] = []
    units: list[str] = []
    i = 0
    while i < len(rows):
        values = [v for v in rows[i] if v]
        if not values:
            i += 1
        elif any(_UNIT_ROW.search(v) for v in values):
            units = _units(" ".join(dict.fromkeys(values)))
            i += 1
        elif len(set(values)) == 1 and not _is_number(values[0]) and len(values) != 2:
            titles.append(values[0])
            i += 1
        else:
            break
    if i >= len(rows):
        return [Section("\n".join(titles), f"{sheet}!A1")] if titles else []
    header_index = i
    headers = list(rows[i])
    i += 1
    # A second header row: no numbers in it and the row above had merged (repeated) group labels.
    if i < len(rows) and rows[i] and not any(_is_number(v) for v in rows[i][1:] if v):
        below = rows[i]
        if any(v for v in below[1:]) and len(set(headers[1:])) < len([h for h in headers[1:] if h]):
            headers = [
                (f"{top}{low}" if top and low and top != low else top or low)
                for top, low in zip(headers, below + [""] * (len(headers) - len(below)), strict=False)
            ]
            i += 1
    while i < len(rows) and any(_UNIT_ROW.search(v) for v in rows[i] if v):
        units = _units(" ".join(v for v in rows[i] if v))
        i += 1
    title = titles[0] if titles else sheet
    title_year = m.group(1) if (m := _YEAR.search(" ".join(titles))) else ""
    unit_column = next((c for c, h in enumerate(headers) if h == "单位"), None)
    described = [*titles, f"单位：{'、'.join(units)}" if units else "", "指标：" + "、".join(h for h in headers if h)]
    sections = [Section("；".join(x for x in described if x) + "。", f"{sheet}!A{header_index + 1}")]
    for r in range(i, len(rows)):
        row = rows[r]
        if not row or not row[0] or not any(row[1:]):
            continue
        label, row_unit = _column_unit(row[0], [])
        if unit_column is not None and unit_column < len(row) and row[unit_column]:
            row_unit = row[unit_column]
        for c in range(1, min(len(row), len(headers))):
            value = row[c]
            if not value or not headers[c] or c == unit_column:
                continue
            column, unit = _column_unit(headers[c], units)
            unit = row_unit or unit
            if value.endswith("%"):
                value, unit = value[:-1], "%"
            if not _is_number(value):
                unit = ""
            period = _period(column, title_year)
            cell = f"{sheet}!{column_letter(c)}{r + 1}"
            fact = f"{period}{label}{_MONTHS.sub('', _YEAR.sub('', column)).strip()}为{value}{unit}"
            sections.append(
                Section(
                    f"{fact}（{title}）",
                    cell,
                    Record(sheet, cell, label, column, value, unit, period, fact),
                )
            )
    return sections


def _period(column: str, title_year: str) -> str:
    """'2025年' from the column or the title; a bare '1—11月' column gets the title's year."""
    if m := _YEAR.search(column):
        year = m.group(0).replace(" ", "")
        months = re.search(r"年\s*(\d{1,2}\s*[—\-–~至]\s*\d{1,2}\s*月)", column)
        return year + months.group(1) if months else year
    months = re.search(r"(\d{1,2}\s*[—\-–~至]\s*\d{1,2}\s*月)", column)
    if months and title_year:
        return f"{title_year}年{months.group(1)}"
    return f"{title_year}年" if title_year else ""


def docx_table_sections(grid: list[list[str]], number: int) -> list[Section]:
    """A table inside a Word document, read as a small sheet named 表N."""
    return sheet_sections(grid, f"表{number}")
