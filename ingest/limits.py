"""Pre-parse guards: a file is measured before any parser sees it, and the parsers that can run away
(openpyxl, python-docx, pypdf) run in a forked child with a time and memory limit.

Why both: the cheap checks (size per type, the zip's declared sizes, a sheet's used area) turn the known
bombs into a Chinese reason in milliseconds, without loading anything; the child catches what no check
foresees (a PDF whose xref loops, a parser bug) and cannot take the Streamlit server down with it.
Python's zipfile never returns more bytes than a member declares, so the declared sizes are a real bound
for openpyxl and python-docx, which read through zipfile.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import re
import select
import signal
import stat
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.errors import LoadError
from app.settings import Settings
from ingest.tables import cell_position

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Office XML compresses 5-30x; the zip bombs we have seen are 1000x. A member is judged by its ratio
# only once it is big enough for the ratio to matter.
_MAX_RATIO = 100
_RATIO_MIN_BYTES = 10 * 1024 * 1024
_MB = 1024 * 1024
_OFFICE = {".docx": "Word 文件", ".xlsx": "Excel 文件", ".pptx": "PowerPoint 文件", ".ofd": "OFD 文件"}


@dataclass(frozen=True)
class Limits:
    """The resource limits of one run, derived from Settings (see docs/settings.md)."""

    max_mb: dict[str, int]
    max_unzipped_mb: int
    max_cells: int
    timeout_s: float
    memory_mb: int
    page_timeout_s: float = 300.0  # more time granted each time the child starts OCR of a page
    image_max_pixels: int = 50_000_000

    @classmethod
    def of(cls, settings: Settings | None) -> Limits:
        s = settings or Settings()
        return cls(dict(s.file_max_mb), s.max_unzipped_mb, s.max_cells, s.parse_timeout_s, s.parse_memory_mb,
                   page_timeout_s=s.ocr_page_timeout_s, image_max_pixels=s.image_max_pixels)

    def max_bytes(self, suffix: str) -> int:
        return self.max_mb.get(suffix.lower().lstrip("."), max(self.max_mb.values())) * _MB


def display_name(path: Path | str) -> str:
    """A file name that can always be printed and written as JSON: names that are not UTF-8 (GBK names
    from a zip made on Windows) are shown decoded as GB18030, the encoding they almost always are."""
    raw = os.fsencode(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def check_file(path: Path, limits: Limits) -> int:
    """The file's size after checking it is a regular file within the size limit of its type."""
    try:
        info = path.stat()
    except OSError as exc:
        raise LoadError(f"无法读取 {display_name(path.name)}（{exc.strerror or type(exc).__name__}）。") from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(f"{display_name(path.name)} 不是普通文件（{_file_kind(info.st_mode)}），已跳过；知识库只读取普通文件。")
    check_size(path.name, info.st_size, limits)
    return info.st_size


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISDIR(mode):
        return "文件夹"
    return "特殊文件"


def check_size(name: str, size: int, limits: Limits) -> None:
    suffix = Path(name).suffix.lower()
    cap = limits.max_bytes(suffix)
    if size > cap:
        raise LoadError(
            f"{display_name(name)} 大小为 {size / _MB:.1f} MB，超过 {suffix or '此类'} 文件的上限 {cap // _MB} MB；"
            f"请拆分文件，或调大 KBQA_FILE_MAX_MB（例如 {suffix.lstrip('.') or 'txt'}={cap // _MB * 2}）。"
        )


def check_zip(path: Path, limits: Limits) -> None:
    """Refuse a .docx/.xlsx whose members would unpack to more than the limit, or at a bomb's ratio."""
    kind = _OFFICE.get(path.suffix.lower(), "Office 文件")
    name = f"{kind} {display_name(path.name)}"
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(f"{name} 已损坏或不是 {path.suffix.lower()} 格式（{type(exc).__name__}），请用 Office/WPS 打开后另存一份再上传。") from None
    total = sum(m.file_size for m in members)
    if total > limits.max_unzipped_mb * _MB:
        raise LoadError(
            f"{name} 解压后有 {total / _MB:.0f} MB，超过上限 {limits.max_unzipped_mb} MB（可能是压缩炸弹或内容过多）；"
            "请删除其中的大图片或拆分文件，或调大 KBQA_MAX_UNZIPPED_MB。"
        )
    for m in members:
        if m.file_size >= _RATIO_MIN_BYTES and m.file_size > _MAX_RATIO * max(m.compress_size, 1):
            raise LoadError(
                f"{name} 中的 {m.filename} 压缩比超过 {_MAX_RATIO} 倍（{m.compress_size} 字节解压为 {m.file_size / _MB:.0f} MB），"
                "疑似压缩炸弹，已跳过；如确为正常文件，请用 Office/WPS 另存后重新上传。"
            )


@dataclass
class SheetScan:
    """What a worksheet's XML holds, read without building it: the used area and formula cells that
    carry no cached result (files written by scripts, never opened in Excel)."""

    member: str
    title: str
    rows: int = 0
    cols: int = 0
    cells: int = 0
    uncached_formulas: list[str] | None = None

    @property
    def area(self) -> int:
        return self.rows * self.cols


def _ref(ref: str) -> tuple[int, int] | None:
    """'C5' (also '$C$5', 'c5') -> (5, 3) by the sheet's own cell-name reader; None for anything else."""
    return cell_position(ref.strip().replace("$", "").upper())


def zip_xml(archive: zipfile.ZipFile, member: str) -> Any:
    """The root of one XML member of a zip, parsed without entities or network (lxml's huge_tree off)."""
    from lxml import etree

    with archive.open(member) as fh:
        return etree.parse(fh, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def _sheet_members(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(part, sheet title) of every worksheet: those the workbook's relationships name (titled from
    workbook.xml), and any other part under xl/worksheets/ (titled by its file name)."""
    names = set(archive.namelist())
    found = {n: n.rsplit("/", 1)[-1].removesuffix(".xml") for n in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)}
    if "xl/_rels/workbook.xml.rels" in names:
        targets = {}
        for rel in zip_xml(archive, "xl/_rels/workbook.xml.rels"):
            target = rel.get("Target") or ""
            if (rel.get("Type") or "").endswith("/worksheet"):
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[rel.get("Id")] = os.path.normpath(target).replace(os.sep, "/")
        titles = {}
        if "xl/workbook.xml" in names:
            for el in zip_xml(archive, "xl/workbook.xml").iter("{*}sheet"):
                rid = next((v for k, v in el.attrib.items() if str(k).endswith("}id")), None)
                titles[rid] = el.get("name") or ""
        for rid, target in targets.items():
            if target in names:
                found[target] = titles.get(rid) or found.get(target) or target
    return sorted(found.items())


def scan_sheet(archive: zipfile.ZipFile, member: str, title: str, stop_area: int) -> SheetScan:
    """Stream one sheet's XML; stops as soon as its used area passes stop_area.

    The used area counts cells and merged ranges: openpyxl builds a cell object for every position of
    a merged range and the grid spans every position up to the farthest cell, so a 4 KB file with
    one cell at XFD1048576 or one merge over the whole sheet would otherwise cost gigabytes.
    """
    from lxml import etree

    scan = SheetScan(member, title, uncached_formulas=[])
    row = col = 0
    with archive.open(member) as fh:
        parser = etree.iterparse(fh, events=("start", "end"), resolve_entities=False, no_network=True)
        has_f = has_v = False
        for event, el in parser:
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if event == "start":
                if tag == "row":
                    row = int(r) if (r := el.get("r") or "").isdigit() else row + 1
                    col = 0
                elif tag == "c":
                    pos = _ref(el.get("r") or "")
                    row, col = pos if pos else (max(row, 1), col + 1)
                    scan.cells += 1
                    has_f = has_v = False
                    scan.rows, scan.cols = max(scan.rows, row), max(scan.cols, col)
                elif tag == "mergeCell":
                    corners = [_ref(part) for part in (el.get("ref") or "").split(":")]
                    for pos in corners:
                        if pos:
                            scan.rows, scan.cols = max(scan.rows, pos[0]), max(scan.cols, pos[1])
                if scan.area > stop_area:
                    break
                continue
            if tag == "f":
                has_f = True
            elif tag == "v":
                has_v = bool((el.text or "").strip())
            elif tag == "c":
                if has_f and not has_v:
                    scan.uncached_formulas.append(el.get("r") or f"第{row}行第{col}列")  # type: ignore[union-attr]
                el.clear()
            elif tag == "row":
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
    return scan


def check_xlsx(path: Path, limits: Limits) -> list[SheetScan]:
    """Zip checks, then every sheet's used area against KBQA_MAX_CELLS (summed over the workbook)."""
    check_zip(path, limits)
    from lxml import etree

    name = display_name(path.name)
    scans: list[SheetScan] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for member, title in _sheet_members(archive):
                left = limits.max_cells - sum(s.area for s in scans)
                scans.append(scan_sheet(archive, member, title, left))
                if scans[-1].area > left:
                    s = scans[-1]
                    raise LoadError(
                        f"Excel 文件 {name} 的工作表「{title}」使用范围达 {s.rows} 行 × {s.cols} 列以上，"
                        f"整个文件超过 {limits.max_cells} 个单元格的上限；请删除多余的空行空列或拆分文件，"
                        "或调大 KBQA_MAX_CELLS。"
                    )
    except (etree.XMLSyntaxError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise LoadError(f"Excel 文件 {name} 已损坏（{type(exc).__name__}），请用 Excel/WPS 打开后另存为 .xlsx 再上传。") from None
    return scans


def check_image(path: Path, limits: Limits) -> None:
    """Refuse an image whose header declares more pixels than the limit, before anything decodes it
    (a 100 KB PNG can declare 50000 x 50000 pixels: 7.5 GB once decoded). Only the header is read."""
    from PIL import Image, UnidentifiedImageError

    name = display_name(path.name)
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise LoadError(f"图片 {name} 已损坏或不是有效的图片文件（{type(exc).__name__}），请重新导出后再上传。") from None
    if width * height > limits.image_max_pixels:
        raise LoadError(
            f"图片 {name} 有 {width} × {height} 像素，超过上限 {limits.image_max_pixels // 1_000_000} 百万像素；"
            "请缩小后（扫描件 300 dpi 足够）重新上传，或调大 KBQA_IMAGE_MAX_PIXELS。"
        )


_progress_fd: int | None = None  # set in a child made by in_child: where progress() writes


def progress(message: str) -> None:
    """Say that a long step (OCR of one page) starts. In a child made by in_child the parent hears it,
    logs it, passes it to its on_progress and grants limits.page_timeout_s more; elsewhere it is logged."""
    if _progress_fd is None:
        _log.info("%s", message)
        return
    os.write(_progress_fd, message.replace("\n", " ").encode("utf-8")[:1000] + b"\n")


def _die_with(parent: int) -> None:
    """Ask Linux to kill this child when the process that forked it dies. Only the parent enforces the time
    limit, and the child shares the parent's open files, the ingest writer lock among them: a child that
    outlived a killed ingest would keep every later ingest waiting (exit 3) until its parse ended."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def in_child(
    fn: Callable[..., _T], *args: Any, name: str, limits: Limits, on_progress: Callable[[str], None] | None = None
) -> _T:
    """Run fn(*args) in a forked child with limits.timeout_s and limits.memory_mb; return its result.

    Each progress() message from the child (one per OCR'd page) is logged, handed to on_progress and
    moves the deadline to at least limits.page_timeout_s from then: a 50-page scan takes minutes, yet
    no single page may hang.

    Why a fork and not signal.alarm: Streamlit runs scripts in a worker thread, where alarm cannot be
    set, and a runaway parser must be killed, not merely abandoned. The child inherits the imported
    parsers (import them before calling: a fork never re-imports), pickles its result back through a
    pipe and leaves with os._exit. Costs about 10 ms per file (bench/fuzz_loaders.py prints it).
    A LoadError in the child comes back as a LoadError; anything else comes back as its type name and
    traceback, is logged here, and becomes a LoadError that names the type.
    """
    global _progress_fd
    read_fd, write_fd = os.pipe()
    said_fd, say_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: never returns
        _die_with(parent)
        # Objects inherited from the parent are never collected here: freeing one that belongs to a library
        # with its own threads (Chroma's Rust bindings) waits forever on a lock whose owner thread did not
        # survive the fork (seen: a test run hung in openpyxl's first allocation, inside a Chroma destructor).
        gc.freeze()
        os.close(read_fd)
        os.close(said_fd)
        _progress_fd = say_fd
        code = 0
        payload: tuple[Any, ...]
        try:
            _limit_memory(limits.memory_mb)
            try:
                payload = ("ok", fn(*args))
            except LoadError as exc:
                payload = ("load", str(exc))
            except MemoryError:
                payload = ("memory", "")
            except RecursionError:
                payload = ("crash", "RecursionError", traceback.format_exc(limit=5))
            except BaseException as exc:  # noqa: BLE001 - everything becomes a report to the parent
                payload = ("crash", type(exc).__name__, traceback.format_exc())
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
        except BaseException:  # noqa: BLE001 - the child must always reach os._exit
            code = 3
        os._exit(code)
    os.close(write_fd)
    os.close(say_fd)
    chunks: list[bytes] = []
    said = b""
    message = ""
    deadline = time.monotonic() + limits.timeout_s
    timed_out = False
    watched = [read_fd, said_fd]
    finished = False  # False while an exception (from on_progress, say) leaves the loop: the child is killed
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select(watched, [], [], left)
            if said_fd in ready:
                block = os.read(said_fd, 1 << 16)
                if not block:
                    watched.remove(said_fd)
                said += block
                *lines, said = said.split(b"\n")
                for line in lines:
                    deadline = max(deadline, time.monotonic() + limits.page_timeout_s)
                    message = line.decode("utf-8", errors="replace")
                    _log.info("%s", message)
                    if on_progress is not None:
                        on_progress(message)
            if read_fd not in ready:
                continue
            block = os.read(read_fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
        finished = True
    finally:
        os.close(read_fd)
        os.close(said_fd)
        if timed_out or not finished:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out and message:
        raise LoadError(
            f"{name} 的文字识别（{message}）超过 {limits.page_timeout_s:g} 秒仍未完成，已跳过；"
            "请拆分文件或换用更清晰的扫描件后重新上传，或调大 KBQA_OCR_PAGE_TIMEOUT。"
        )
    if timed_out:
        raise LoadError(
            f"解析 {name} 超过 {limits.timeout_s:g} 秒仍未完成，已跳过；文件可能已损坏或内容过多，"
            "请用原软件另存或拆分后重新上传，或调大 KBQA_PARSE_TIMEOUT。"
        )
    result: tuple[Any, ...]
    try:
        result = pickle.loads(b"".join(chunks))
    except (pickle.UnpicklingError, EOFError, ValueError):
        result = ("died", os.waitstatus_to_exitcode(status))
    payload = result
    if payload[0] == "ok":
        return payload[1]
    if payload[0] == "load":
        raise LoadError(payload[1])
    if payload[0] == "memory":
        raise LoadError(
            f"解析 {name} 需要的内存超过上限 {limits.memory_mb} MB，已跳过；请拆分文件，或调大 KBQA_PARSE_MEMORY_MB。"
        )
    if payload[0] == "died":
        _log.error("parser for %s died with exit code %s", name, payload[1])
        raise LoadError(f"解析 {name} 时解析程序异常退出（退出码 {payload[1]}），已跳过；请用原软件另存后重新上传。")
    _log.error("parser for %s raised %s:\n%s", name, payload[1], payload[2])
    raise LoadError(
        f"无法解析 {name}（{payload[1]}），文件可能已损坏或格式不规范，已跳过；请用原软件打开后另存一份再上传。"
    )


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space at what it already maps plus memory_mb (Linux; elsewhere no cap)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="utf-8") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        return
    cap = mapped + memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
