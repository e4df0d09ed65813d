"""Legacy and other office formats: .xls/.et sheets, .pptx slides, and LibreOffice conversion of
.doc/.wps/.ppt (and .et files that are not BIFF workbooks) into the formats the loaders read.

.xls is read with xlrd and its number formats, so a cell shown as 45.3% or 88.50 in Excel gives the same
record as the same sheet saved as .xlsx (python-calamine reads the values only: 45.3% came back as
0.453). .pptx is read with python-pptx: one section per slide (第N张幻灯片), its title as a heading, its
tables as indicator records. Conversions run `soffice --headless --convert-to` in a temporary folder,
one at a time (a lock file: LibreOffice cannot share a profile between two processes), with a
timeout, and the converted copy is handed to the existing loader.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.errors import LoadError
from app.schema import Section
from app.segmenter import private_cache_dir
from ingest import tables
from ingest.limits import Limits, display_name

_log = logging.getLogger(__name__)
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls/.et/.doc/.wps/.ppt of the 97-2003 era
# suffix -> (format LibreOffice writes, the Debian package that converts it, what the file is called,
# the import filter a compound file must pass: without one LibreOffice imports any unreadable file as
# plain text, and a damaged .doc would be indexed as a page of control characters)
_CONVERT = {
    ".doc": ("docx", "libreoffice-writer-nogui", "Word 文件", "MS Word 97"),
    ".wps": ("docx", "libreoffice-writer-nogui", "WPS 文字文件", "MS Word 97"),
    ".ppt": ("pptx", "libreoffice-impress-nogui", "PowerPoint 文件", "MS PowerPoint 97"),
    ".et": ("xlsx", "libreoffice-calc-nogui", "WPS 表格文件", "MS Excel 97"),
}
# Other things saved under these names that LibreOffice reads: RTF, HTML/XML (web systems' "Word"
# exports), and Office Open XML zips with an old suffix.
_OTHER_HEADS = (b"{\\rtf", b"<", b"PK\x03\x04")
# What LibreOffice is told the copy is: a WPS Office .wps is a Word 97 file, while LibreOffice reads a
# file named .wps as Microsoft Works.
_COPY_SUFFIX = {".wps": ".doc"}


def needs_conversion(path: Path) -> bool:
    """.doc/.wps/.ppt always; .et only when it is not a BIFF workbook (newer WPS writes other layouts)."""
    suffix = path.suffix.lower()
    if suffix == ".et":
        with path.open("rb") as fh:
            return fh.read(len(_CFB)) != _CFB
    return suffix in _CONVERT


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@contextlib.contextmanager
def converted(path: Path, limits: Limits) -> Iterator[Path]:
    """The file to parse: `path` itself, or for a format we cannot read directly a LibreOffice copy in
    the modern format (same stem, in a temporary folder removed afterwards)."""
    if not needs_conversion(path):
        yield path
        return
    target, package, kind, in_filter = _CONVERT[path.suffix.lower()]
    name = display_name(path.name)
    with path.open("rb") as fh:
        head = fh.read(512)
    if not head.startswith(_CFB):
        if not head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(_OTHER_HEADS):
            raise LoadError(
                f"{kind} {name} 不是 {path.suffix.lower()} 格式（也不是 RTF、网页或新版 Office 文件），可能已损坏或是改了扩展名的"
                f"其他文件，已跳过；请用 Office/WPS 打开后另存为 .{target} 再上传。"
            )
        in_filter = ""
    program = soffice()
    if program is None:
        raise LoadError(
            f"{kind} {name} 需要 LibreOffice 转换后才能读取，但本机没有安装 LibreOffice，已跳过；"
            f"请安装 {package}（Debian/Ubuntu：sudo apt-get install {package}），"
            f"或用 Office/WPS 把它另存为 .{target} 后上传。"
        )
    with tempfile.TemporaryDirectory(prefix="kbqa-convert-") as tmp:
        work = Path(tmp)
        source = work / "in" / f"source{_COPY_SUFFIX.get(path.suffix.lower(), path.suffix.lower())}"
        source.parent.mkdir()
        shutil.copyfile(path, source)
        out = work / "out"
        out.mkdir()
        started = time.perf_counter()
        _run_soffice(program, source, target, in_filter, out, limits, name)
        produced = out / f"source.{target}"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise LoadError(
                f"LibreOffice 无法打开 {kind} {name}（文件可能已损坏、加密或不是 {path.suffix.lower()} 格式），已跳过；"
                f"请用 Office/WPS 打开后另存为 .{target} 再上传。"
            )
        _log.info("converted %s to .%s in %.1f s", name, target, time.perf_counter() - started)
        result = work / f"{path.stem}.{target}"
        produced.rename(result)
        yield result


def _profile_dir() -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    """LibreOffice's user profile: kept in our private cache folder so later conversions skip the
    first-start set-up (about 5 s); a throwaway folder when there is no private folder."""
    cache = private_cache_dir()
    if cache is not None:
        folder = cache / "soffice-profile"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder, None
    tmp = tempfile.TemporaryDirectory(prefix="kbqa-soffice-")
    return Path(tmp.name), tmp


def _run_soffice(program: str, source: Path, target: str, in_filter: str, out: Path, limits: Limits, name: str) -> None:
    """One conversion at a time per profile (flock), killed with its whole process group on timeout."""
    profile, throwaway = _profile_dir()
    try:
        with (profile.parent / f"{profile.name}.lock").open("a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command = [
                program, "--headless", "--norestore", "--nolockcheck", "--nodefault",
                f"-env:UserInstallation={profile.as_uri()}",
                *([f"--infilter={in_filter}"] if in_filter else []),
                "--convert-to", target, "--outdir", str(out), str(source),
            ]
            proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, "HOME": str(profile)},
            )
            try:
                output, _ = proc.communicate(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise LoadError(
                    f"LibreOffice 转换 {name} 超过 {limits.timeout_s:g} 秒仍未完成，已跳过；文件可能已损坏或内容过多，"
                    "请用 Office/WPS 另存为新格式后上传，或调大 KBQA_PARSE_TIMEOUT。"
                ) from None
            if proc.returncode != 0 or b"Error" in output:
                _log.warning("soffice on %s exited %s: %s", name, proc.returncode, output.decode("utf-8", "replace")[-500:])
    finally:
        if throwaway is not None:
            throwaway.cleanup()


def _xls_cell(book: Any, sheet: Any, r: int, c: int) -> str:
    import xlrd

    cell = sheet.cell(r, c)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    value: Any = cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return tables.format_cell(bool(value))
    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if cell.xf_index is not None else None
    number_format = fmt.format_str if fmt is not None else "General"
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            value = xlrd.xldate_as_datetime(value, book.datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return tables.format_cell(value, number_format)
        return value.strftime("%Y-%m-%d") if isinstance(value, dt.datetime) else str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # BIFF stores every number as a double; 143 is read back as 143.0
    return tables.format_cell(value, number_format)


def xls_grid(book: Any, sheet: Any) -> list[list[str]]:
    """Formatted cell texts with merged ranges filled from their top-left cell (as tables.xlsx_grid)."""
    grid = [[_xls_cell(book, sheet, r, c) for c in range(sheet.ncols)] for r in range(sheet.nrows)]
    for rlo, rhi, clo, chi in sheet.merged_cells:
        if rlo >= len(grid) or clo >= len(grid[rlo]):
            continue
        top = grid[rlo][clo]
        for r in range(rlo, min(rhi, len(grid))):
            for c in range(clo, min(chi, len(grid[r]))):
                grid[r][c] = top
    return grid


def xls_sections(path: Path, max_cells: int) -> list[Section]:
    """Indicator records of every sheet of a BIFF workbook (.xls, and .et as WPS writes it), refused once
    the sheets' used areas pass `max_cells` (KBQA_MAX_CELLS, as for .xlsx) before their cells are formatted."""
    import xlrd

    name = display_name(path.name)
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except (xlrd.biffh.XLRDError, xlrd.compdoc.CompDocError) as exc:
        raise LoadError(
            f"Excel 文件 {name} 已损坏或不是 Excel 97-2003 格式（{type(exc).__name__}），请用 Excel/WPS 打开后另存为 .xlsx 再上传。"
        ) from None
    except (AssertionError, IndexError, KeyError, ValueError, EOFError, OSError) as exc:
        raise LoadError(f"Excel 文件 {name} 已损坏（{type(exc).__name__}），请用 Excel/WPS 打开后另存为 .xlsx 再上传。") from None
    sections: list[Section] = []
    used = 0
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            used += sheet.nrows * sheet.ncols
            if used > max_cells:
                raise LoadError(
                    f"Excel 文件 {name} 的工作表「{sheet.name}」使用范围达 {sheet.nrows} 行 × {sheet.ncols} 列，"
                    f"整个文件超过 {max_cells} 个单元格的上限；请删除多余的空行空列或拆分文件，或调大 KBQA_MAX_CELLS。"
                )
            sections += tables.sheet_sections(xls_grid(book, sheet), sheet.name)
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sections


def _shape_parts(shapes: Any, texts: list[str], grids: list[list[list[str]]]) -> None:
    """Text frames and tables of a slide's shapes in their order on the slide, group shapes opened."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            _shape_parts(shape.shapes, texts, grids)
        elif getattr(shape, "has_table", False) and shape.has_table:
            grids.append([[cell.text.strip() for cell in row.cells] for row in shape.table.rows])
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines = [p.text.strip() for p in shape.text_frame.paragraphs]
            texts.extend(line for line in lines if line)


def pptx_sections(path: Path) -> tuple[str, list[Section]]:
    """(presentation title, sections): one per slide located 第N张幻灯片, the slide title as a heading,
    body text and speaker notes; each table as records of a small sheet named 第N张幻灯片表K."""
    import pptx
    from pptx.exc import PackageNotFoundError

    name = display_name(path.name)
    try:
        deck = pptx.Presentation(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise LoadError(f"PowerPoint 文件 {name} 已损坏或不是 .pptx 格式（{type(exc).__name__}），请用 PowerPoint/WPS 另存为 .pptx。") from None
    sections: list[Section] = []
    first_title = ""
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip().replace("\n", " ") if title_shape is not None and title_shape.has_text_frame else ""
        first_title = first_title or title
        texts: list[str] = []
        grids: list[list[list[str]]] = []
        _shape_parts([s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id], texts, grids)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            texts += [line.strip() for line in slide.notes_slide.notes_text_frame.text.splitlines() if line.strip()]
        body = "\n\n".join(([f"## {title}"] if title else []) + texts)
        locator = f"第{number}张幻灯片"
        if body.strip():
            sections.append(Section(body, locator))
        for k, grid in enumerate(grids, start=1):
            sections += tables.sheet_sections(grid, f"{locator}表{k}")
    return deck.core_properties.title or first_title, sections
