"""The document around a citation: what a reader checks a quote against.

A quote alone cannot be judged (was the sentence about this year? this district?), so a citation opens:
- for text, the cited passage with the paragraphs before and after it (from the index's chunks of that
  source, in document order), the quote marked;
- for a PDF page, the page as an image (pypdfium2) beside its text;
- for a sheet cell, the actual rows and columns around the cell, re-read from the .xlsx/.csv (a bounded
  window, never the whole sheet); for tables inside .docx/.pdf/.xls files, the grid rebuilt from the
  indexed cell records of that table.
Everything here returns data; the UI escapes and draws it (app/present.py rules apply).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from app.errors import KBQAError
from app.library import file_of
from app.present import escape
from app.schema import Chunk, Citation
from app.settings import Settings
from app.store import Store
from ingest.tables import cell_position, column_letter, format_cell

CONTEXT_CHUNKS = 2  # passages shown before and after the cited one
WINDOW_ROWS = 6  # sheet rows shown above and below the cited cell
WINDOW_COLS = 4  # and columns left and right of it
PAGE_WIDTH_PX = 900
_PAGE = re.compile(r"第(\d{1,5})页")


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Paragraph:
    text: str
    mark: tuple[int, int] | None = None  # span of the quote inside text


@dataclass(frozen=True)
class Table:
    """A window of a sheet: header labels, rows of shown values, the cited cell's position in `rows`."""

    columns: tuple[str, ...]
    index: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    cell: tuple[int, int] | None
    origin: str  # 'file' (re-read) or 'index' (rebuilt from cell records)


@dataclass(frozen=True)
class SourceView:
    citation: Citation
    paragraphs: tuple[Paragraph, ...]
    table: Table | None = None
    page: int | None = None  # 1-based PDF page of the quote
    file: Path | None = None  # the original file, when it is still in the knowledge base
    note: str = ""  # why less than the whole view could be shown


def _chunk(store: Store, c: Citation) -> Chunk | None:
    pos = store.by_id.get(c.chunk_id)
    if pos is not None:
        return store.chunks[pos]
    # an index rebuilt since the answer (a reopened conversation): the same place in the same source
    return next((ch for ch in store.chunks if ch.source == c.source and ch.locator == c.locator), None)


def _mark(text: str, quote: str) -> tuple[int, int] | None:
    quote = quote.strip()
    start = text.find(quote) if quote else -1
    return (start, start + len(quote)) if start >= 0 else None


def paragraphs(store: Store, c: Citation, chunk: Chunk | None, context: int = CONTEXT_CHUNKS) -> tuple[Paragraph, ...]:
    """The cited passage and its neighbours in document order; the quote's span marked where it is."""
    if chunk is None:
        return (Paragraph(c.quote, (0, len(c.quote))),)
    same = sorted((ch for ch in store.chunks if ch.source == chunk.source and ch.record is None), key=lambda ch: ch.ordinal)
    at = next((i for i, ch in enumerate(same) if ch.id == chunk.id), None)
    shown = [chunk] if at is None else same[max(0, at - context): at + context + 1]
    out: list[Paragraph] = []
    for ch in shown:
        for line in ch.text.split("\n"):
            if line.strip():
                out.append(Paragraph(line, _mark(line, c.quote) if ch.id == chunk.id else None))
    if chunk.record is None and not any(p.mark for p in out):
        # the quote spans lines of the passage, or was trimmed: mark each line that is part of it
        out = [Paragraph(p.text, (0, len(p.text)) if p.text.strip() in c.quote else p.mark) for p in out]
    return tuple(out)


def paragraph_md(p: Paragraph) -> str:
    """Markdown of a paragraph with the quote on a highlight; the document's text stays escaped."""
    if p.mark is None:
        return escape(p.text)
    a, b = p.mark
    return f"{escape(p.text[:a])}:orange-background[**{escape(p.text[a:b])}**]{escape(p.text[b:])}"


def original(kb_dir: Path, source: str) -> Path | None:
    """The file behind a source, when it still lies inside the knowledge base folder."""
    try:
        path = file_of(kb_dir, source)
    except KBQAError:
        return None
    return path if path.is_file() else None


def _split_cell(ref: str) -> tuple[str, int, int] | None:
    sheet, _, coord = ref.rpartition("!")
    at = cell_position(coord)
    return (sheet, *at) if at else None


def _window(values: list[list[str]], first_row: int, first_col: int, row: int, col: int) -> Table:
    width = max((len(r) for r in values), default=0)
    cols = tuple(column_letter(first_col - 1 + i) for i in range(width))
    rows = tuple(tuple(r + [""] * (width - len(r))) for r in values)
    cell = (row - first_row, col - first_col) if 0 <= row - first_row < len(rows) and col - first_col < width else None
    return Table(cols, tuple(str(first_row + i) for i in range(len(rows))), rows, cell, "file")


def sheet_from_file(path: Path, sheet: str, row: int, col: int, settings: Settings | None = None) -> Table | None:
    """The rows and columns around (row, col) as they are in the file, reading no more than the window.
    A workbook passes ingest's pre-parse checks first (zip bomb, size): it is read inside the UI process."""
    top, left = max(1, row - WINDOW_ROWS), max(1, col - WINDOW_COLS)
    bottom, right = row + WINDOW_ROWS, col + WINDOW_COLS
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        from ingest.limits import Limits, check_xlsx

        check_xlsx(path, Limits.of(settings))
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if sheet not in book.sheetnames:
                return None
            cells = book[sheet].iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
            # as ingest formats them, so the cited cell reads as its record does (28.1%, not 0.281)
            values = [[format_cell(c.value, getattr(c, "number_format", "General")) for c in r] for r in cells]
        finally:
            book.close()
    elif path.suffix.lower() == ".csv":
        from ingest.limits import Limits, check_file
        from ingest.load import decode

        check_file(path, Limits.of(settings))  # the size ingest accepts, then ingest's decoding (UTF-16, Big5, …)
        text = decode(path.read_bytes(), path.name)
        values = []
        for i, r in enumerate(csv.reader(io.StringIO(text)), start=1):
            if i > bottom:
                break
            if i >= top:
                values.append([v.strip() for v in r[left - 1: right]])
    else:
        return None
    while values and not any(values[-1]):
        values.pop()
    used = max((max((i + 1 for i, v in enumerate(r) if v), default=0) for r in values), default=0)
    values = [r[: max(used, col - left + 1)] for r in values]  # no empty columns past the last used one
    return _window(values, top, left, row, col) if values else None


def sheet_from_index(store: Store, chunk: Chunk) -> Table | None:
    """The table rebuilt from the indexed cell records of the same table (rows by label, columns by
    header): for tables inside documents, or when the file cannot be re-read."""
    assert chunk.record is not None
    records = [ch.record for ch in store.chunks if ch.source == chunk.source and ch.record and ch.record.sheet == chunk.record.sheet]
    labels = list(dict.fromkeys(r.row_label for r in records))
    columns = list(dict.fromkeys(r.column + (f"（{r.unit}）" if r.unit else "") for r in records))
    if not labels or not columns:
        return None
    grid = {(r.row_label, r.column + (f"（{r.unit}）" if r.unit else "")): r.value for r in records}
    at = labels.index(chunk.record.row_label)
    labels = labels[max(0, at - WINDOW_ROWS): at + WINDOW_ROWS + 1]
    rows = tuple(tuple(grid.get((label, col), "") for col in columns) for label in labels)
    key = chunk.record.column + (f"（{chunk.record.unit}）" if chunk.record.unit else "")
    return Table(tuple(columns), tuple(labels), rows, (labels.index(chunk.record.row_label), columns.index(key)), "index")


def view(store: Store, c: Citation, kb_dir: Path) -> SourceView:
    """Everything the source view shows for one citation."""
    chunk = _chunk(store, c)
    path = original(kb_dir, c.source)
    page_m = _PAGE.search(c.locator)
    page = int(page_m.group(1)) if page_m and path is not None and path.suffix.lower() == ".pdf" else None
    note = "" if chunk is not None else "索引已更新，找不到这段原文的上下文，仅显示引用的原句。"
    table = None
    if chunk is not None and chunk.record is not None:
        where = _split_cell(chunk.record.cell)
        if where is not None and path is not None:
            try:
                table = sheet_from_file(path, *where, settings=store.settings)
            except Exception as exc:  # noqa: BLE001 - a file replaced by a broken one since it was indexed
                log.warning("source view could not re-read %s: %r", path, exc)
                note = f"无法重新读取原表格（{type(exc).__name__}），下表由索引中的单元格拼成。"
        table = table or sheet_from_index(store, chunk)
        return SourceView(c, (Paragraph(chunk.text, (0, len(chunk.text))),), table, page, path, note)
    return SourceView(c, paragraphs(store, c, chunk), None, page, path, note)


def page_png(path: Path, page: int, width_px: int = PAGE_WIDTH_PX) -> bytes:
    """One PDF page as a PNG of about `width_px` pixels wide (bounded whatever the page's size)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise KBQAError(f"无法打开 {path.name} 显示页面图像：{exc}。文件可能已损坏或被替换，请重新上传。") from None
    try:
        if not 1 <= page <= len(pdf):
            raise KBQAError(f"{path.name} 没有第 {page} 页（共 {len(pdf)} 页）：文件可能在建索引后被替换，请重新扫描知识库。")
        p = pdf[page - 1]
        scale = min(3.0, width_px / max(1.0, p.get_width()))
        image = p.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()
    finally:
        pdf.close()
