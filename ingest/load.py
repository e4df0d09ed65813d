"""File -> Document: one function per format, encoding detection, per-file errors as LoadError.

Every failure raises LoadError with a Chinese reason a staff member can act on; the caller skips the
file and carries on. `load` raises nothing else for any input: the guards in ingest/limits.py run
before a parser sees the file, .docx/.xlsx/.pdf are parsed in a child with a time and memory limit,
and an unexpected exception is logged with its traceback and becomes a LoadError naming its type.
Problems that cost part of a file (one bad .jsonl line, formula cells without a result) go to the
caller's `problems` list; the rest of the file is loaded.
"""

from __future__ import annotations

import csv
import functools
import html.parser
import io
import json
import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.dates import detect_date, detect_validity
from app.errors import LoadError
from app.schema import Document, Section
from app.settings import Settings
from ingest import ocr, ofd, office, tables
from ingest.limits import (
    Limits,
    check_file,
    check_image,
    check_size,
    check_xlsx,
    check_zip,
    display_name,
    in_child,
)

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".xlsx", ".csv", ".html", ".htm", ".jsonl", *ocr.IMAGE_SUFFIXES,
             ".xls", ".et", ".pptx", ".doc", ".wps", ".ppt", ".ofd")
_KIND_DIRS = {"articles": "article", "policies": "policy", "indicators": "indicator"}
_POLICY_MARK = re.compile(r"第[一二三四五六七八九十百零〇\d]+条")
_PARSED_IN_CHILD = (".docx", ".xlsx", ".pdf", *ocr.IMAGE_SUFFIXES, ".xls", ".et", ".pptx", ".ofd")
_FORMULAS_NAMED = 5  # how many formula cells without a result a message names
_UTF16_PLAIN_SHARE = 0.95  # real UTF-16 text is ~1.0; GBK or binary read as UTF-16 is far below
_log = logging.getLogger(__name__)
Problems = list[dict[str, str]]  # {"path": source, "reason": Chinese reason}, the shape of Summary.skipped


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _plain_share(text: str, ascii_too: bool = True) -> float:
    """Share of characters that Chinese prose is made of: CJK ideographs and punctuation, full-width
    forms and (ascii_too) printable ASCII and whitespace. A wrong 16-bit decoding lands mostly
    elsewhere (Hangul, private use, rare blocks, control characters)."""
    if not text:
        return 0.0
    plain = sum(1 for ch in text if _is_cjk(ch) or (ascii_too and (ch in "\t\r\n" or " " <= ch <= "~")))
    return plain / len(text)


def _utf16(data: bytes, ascii_too: bool) -> str | None:
    """BOM-less UTF-16 (either byte order) when the result reads as text; else None."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plain_share(text, ascii_too) >= _UTF16_PLAIN_SHARE:
            return text
    return None


def _simplified_share(text: str) -> float:
    """Share of non-ASCII characters that are GB2312 ideographs or its common punctuation rows.

    Why: GB18030 decodes nearly any byte string, Big5 included, into rare characters, kana and box
    symbols. Simplified text written in GBK is almost all GB2312 (it covers everyday use); Big5 text
    read as GBK is mostly not (its punctuation and 40% of its ideographs use trail bytes GB2312 lacks).
    """
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return 1.0
    common = 0
    for ch in wide:
        try:
            lead = ch.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        common += lead >= 0xB0 or lead in (0xA1, 0xA2, 0xA3)
    return common / len(wide)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM, or without when it reads as text), GB18030 or
    Big5 (whichever reads as everyday Chinese), then charset-normalizer.

    charset-normalizer goes last because it misreads short GBK text as big5.
    """
    if not data.strip():
        raise LoadError(f"文件为空：{name}。请确认文件内容后重新上传。")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:  # UTF-16 with ASCII in it (digits, line breaks), or binary
        if (text16 := _utf16(data, ascii_too=True)) is not None:
            return text16
        raise LoadError(f"{name} 不是文本文件（含二进制内容），可能是改了扩展名的其他格式文件。")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if (text16 := _utf16(data, ascii_too=False)) is not None:  # UTF-16 of ideographs only: no NUL byte
        return text16
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _simplified_share(text) < 0.8:
        try:
            return data.decode("big5")
        except UnicodeDecodeError:
            pass
    if text:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError(f"无法识别 {name} 的文字编码，请另存为 UTF-8 后重试。")
    return str(best)


def kind_of(rel_path: str, suffix: str, text: str = "") -> str:
    for part in Path(rel_path).parts[:-1]:
        if part in _KIND_DIRS:
            return _KIND_DIRS[part]
    if suffix in (".xlsx", ".csv", ".xls", ".et"):
        return "indicator"
    if suffix == ".jsonl":
        return "corpus"
    return "policy" if len(_POLICY_MARK.findall(text)) >= 3 else "article"


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:60]
    return fallback


def _document(source: str, path: Path, sections: list[Section], title: str = "", date: str = "") -> Document:
    body = "\n".join(s.text for s in sections)
    if not body.strip():
        raise LoadError(f"{path.name} 中没有可提取的文字（可能是扫描件或空文档）。")
    kind = kind_of(source, path.suffix.lower(), body)
    return Document(
        source=source,
        title=title or _title(body, path.stem),
        kind=kind,
        date=detect_date(body, path.name, date),
        sections=tuple(sections),
        effective=detect_validity(body) if kind == "policy" else "",
    )


def load_text(path: Path, source: str, problems: Problems) -> list[Document]:
    text = decode(path.read_bytes(), path.name)
    return [_document(source, path, [Section(text)])]


def load_docx(path: Path, source: str, problems: Problems) -> list[Document]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"Word 文件 {path.name} 已损坏或不是 .docx 格式（{type(exc).__name__}），请用 Word 另存为 .docx。") from None
    lines = []
    for para in doc.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = re.search(r"(?:Heading|标题)\s*(\d)", style)
        if style == "Title":
            lines.append(f"# {text}")
        elif level:
            lines.append(f"{'#' * (int(level.group(1)) + 1)} {text}")
        else:
            lines.append(text)
    sections = [Section("\n\n".join(lines))]
    for t_index, table in enumerate(doc.tables, start=1):
        grid = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        sections.extend(tables.docx_table_sections(grid, t_index, tables.caption_of(_lines_before(table))))
    return [_document(source, path, sections, title=doc.core_properties.title or "")]


def _lines_before(table: Any, most: int = 3) -> list[str]:
    """The texts of the paragraphs right above a Word table (its caption, if it has one), in order."""
    lines: list[str] = []
    element = table._element.getprevious()
    while element is not None and element.tag.endswith("}p") and len(lines) < most:
        lines.insert(0, "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t")))
        element = element.getprevious()
    return lines


def load_pdf(path: Path, source: str, problems: Problems, use_ocr: bool = True) -> list[Document]:
    """Text layer per page; pages without a usable one that draw an image are OCR'd (ingest/ocr.py)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"PDF 文件 {path.name} 已损坏或无法解析（{type(exc).__name__}），请重新导出 PDF。") from None
    scanned = ocr.read_pdf_pages(path, pages, problems, use_ocr)
    sections = [
        Section(scanned[i - 1], f"第{i}页·{ocr.MARK}") if i - 1 in scanned else Section(text, f"第{i}页")
        for i, text in enumerate(pages, start=1)
        if (scanned.get(i - 1) or text).strip()
    ]
    from ingest.pdf_tables import with_tables

    sections = with_tables(path, sections, problems)  # ruled tables -> cell records, once (not also as page text)
    return [_document(source, path, sections)]


def load_image(path: Path, source: str, problems: Problems, use_ocr: bool = True) -> list[Document]:
    """A scanned notice or a photo of one, read by OCR; the locator says so."""
    return [_document(source, path, ocr.image_sections(path, use_ocr))]


def load_xlsx(path: Path, source: str, problems: Problems) -> list[Document]:
    """Cached values only (data_only): a formula cell without one is reported by `load` from the
    pre-parse scan, never guessed."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(str(path), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"Excel 文件 {path.name} 已损坏或不是 .xlsx 格式（{type(exc).__name__}）。") from None
    sections = [s for sheet in book.worksheets for s in tables.sheet_sections(tables.xlsx_grid(sheet), sheet.title)]
    return [_document(source, path, sections, title=_sheet_title(sections, path))]


def load_xls(path: Path, source: str, problems: Problems, max_cells: int = Settings.max_cells) -> list[Document]:
    """.xls (and .et as WPS writes it) through the same indicator-sheet path as .xlsx (ingest/office.py);
    KBQA_MAX_CELLS is checked on the sheets themselves (an .xlsx's is checked on its XML before parsing)."""
    sections = office.xls_sections(path, max_cells)
    return [_document(source, path, sections, title=_sheet_title(sections, path))]


def load_pptx(path: Path, source: str, problems: Problems) -> list[Document]:
    """One section per slide (第N张幻灯片), its tables as records (ingest/office.py)."""
    title, sections = office.pptx_sections(path)
    return [_document(source, path, sections, title=title)]


def load_ofd(path: Path, source: str, problems: Problems) -> list[Document]:
    """The text layer of an OFD (GB/T 33190) page by page (ingest/ofd.py)."""
    title, sections = ofd.read_ofd(path)
    return [_document(source, path, sections, title=title)]


def load_csv(path: Path, source: str, problems: Problems) -> list[Document]:
    text = decode(path.read_bytes(), path.name)
    reader = csv.reader(io.StringIO(text))
    try:
        grid = [[cell.strip() for cell in row] for row in reader]
    except csv.Error as exc:
        limit = csv.field_size_limit()
        why = f"有单元格超过 {limit // 1024} KB" if "field limit" in str(exc) else f"格式不规范（{exc}）"
        raise LoadError(
            f"CSV 文件 {path.name} 第{reader.line_num}行{why}，已跳过；请检查引号是否成对、是否误存了其他内容，"
            "或用 Excel/WPS 打开后另存为 CSV。"
        ) from None
    sections = tables.sheet_sections(grid, path.stem)
    return [_document(source, path, sections, title=_sheet_title(sections, path))]


def _sheet_title(sections: list[Section], path: Path) -> str:
    for s in sections:
        if s.record is None:
            return s.text.split("；", 1)[0][:60]
    return path.stem


class _HTMLText(html.parser.HTMLParser):
    """Block-level text of an HTML page; h1-h6 become Markdown headings so chunking sees structure."""

    _BLOCKS = frozenset(["p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "title"])
    _SKIP = frozenset({"script", "style", "noscript"})

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.title = ""
        self._buf: list[str] = []
        self._skip = 0
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCKS:
            self._flush()
            self._tag = tag
        elif tag in ("td", "th") and self._buf:
            self._buf.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buf)).strip()
        self._buf = []
        if not text:
            return
        if self._tag == "title":
            self.title = text
        elif self._tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.lines.append(f"{'#' * int(self._tag[1])} {text}")
        else:
            self.lines.append(text)
        self._tag = ""


def load_html(path: Path, source: str, problems: Problems) -> list[Document]:
    parser = _HTMLText()
    parser.feed(decode(path.read_bytes(), path.name))
    parser.close()
    return [_document(source, path, [Section("\n\n".join(parser.lines))], title=parser.title)]


def load_jsonl(path: Path, source: str, problems: Problems) -> list[Document]:
    """A corpus: one document per line with id, title, text, optional date; source is file#id.

    A bad line costs that line only: it is reported with its number and the others are loaded.
    """
    docs = []
    bad = 0
    for number, line in enumerate(decode(path.read_bytes(), path.name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            doc_id, text = str(row["id"]), str(row["text"])
        except (json.JSONDecodeError, KeyError, TypeError, RecursionError) as exc:
            bad += 1
            why = "嵌套层数过深" if isinstance(exc, RecursionError) else "不是含 id 和 text 字段的 JSON 对象"
            problems.append({"path": f"{source}#第{number}行", "reason": f"{path.name} 第{number}行{why}，已跳过这一行；其余各行照常编入。"})
            continue
        if not text.strip():
            continue
        title = str(row.get("title") or "")
        docs.append(
            Document(
                source=f"{source}#{doc_id}",
                title=title,
                kind="corpus",
                date=detect_date(text, "", str(row.get("date") or "")),
                sections=(Section(f"# {title}\n\n{text}" if title else text),),
            )
        )
    if not docs:
        extra = f"（{bad} 行格式有误，见上）" if bad else ""
        raise LoadError(f"{path.name} 中没有任何含文字的记录{extra}。每行应是含 id 和 text 字段的 JSON 对象。")
    return docs


Loader = Callable[[Path, str, Problems], list[Document]]
LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_text,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
    **dict.fromkeys(ocr.IMAGE_SUFFIXES, load_image),
    ".xls": load_xls,
    ".et": load_xls,  # a BIFF workbook; any other .et is converted to .xlsx by LibreOffice first
    ".pptx": load_pptx,
    ".ofd": load_ofd,
    ".doc": load_docx,  # after LibreOffice converts it (office.converted)
    ".wps": load_docx,
    ".ppt": load_pptx,
}


def _in_child(loader: Loader, path: Path, source: str) -> tuple[list[Document], Problems]:
    problems: Problems = []
    return loader(path, source, problems), problems


def _import_parsers() -> None:
    """Import the parsers before forking: a child never imports (another thread may hold the lock)."""
    import docx  # noqa: F401
    import openpyxl  # noqa: F401
    import pptx  # noqa: F401
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401 - renders scanned pages for OCR
    import xlrd  # noqa: F401
    from PIL import Image  # noqa: F401

    from ingest import pdf_tables  # noqa: F401 - pdfplumber, for tables inside PDFs


def precheck(path: Path, limits: Limits) -> Problems:
    """The guards that run before any parser: regular file, size per type, zip sizes and ratio, a
    workbook's used area. Returns the problems that cost part of the file (formula cells without a
    result); raises LoadError for a file that must not be parsed at all."""
    name = display_name(path.name)
    if name != path.name:
        raise LoadError(f"文件名 {name} 不是 UTF-8 编码（常见于 Windows 上打包的 zip），已跳过；请重命名该文件后重新放入。")
    check_file(path, limits)
    suffix = path.suffix.lower()
    if suffix in ocr.IMAGE_SUFFIXES:
        check_image(path, limits)
    if suffix in (".docx", ".pptx", ".ofd"):
        check_zip(path, limits)
    if suffix != ".xlsx":
        return []
    missing = [f"{scan.title}!{ref}" for scan in check_xlsx(path, limits) for ref in scan.uncached_formulas or []]
    if not missing:
        return []
    named = "、".join(missing[:_FORMULAS_NAMED]) + ("等" if len(missing) > _FORMULAS_NAMED else "")
    return [{
        "path": "",
        "reason": f"{name} 中有 {len(missing)} 个公式单元格没有计算结果（{named}），这些单元格未编入；"
        "请在 Excel/WPS 中打开并保存后重新上传。",
    }]


def load(
    path: Path,
    source: str,
    problems: Problems | None = None,
    settings: Settings | None = None,
    on_page: Callable[[str], None] | None = None,
) -> list[Document]:
    """Load one file; raises LoadError (and nothing else) with a Chinese reason for anything we cannot use.

    Problems that cost part of the file are appended to `problems` as {"path", "reason"} entries.
    `on_page` hears each page OCR starts on ("扫描件.pdf OCR 第3页（3/12）"), for a progress display.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}；支持：{'、'.join(SUPPORTED)}。")
    if loader in (load_pdf, load_image):  # the loaders that may OCR hear whether they may
        use_ocr = (settings or Settings()).ocr
        if use_ocr:
            ocr.preload()
        loader = functools.partial(load_pdf if loader is load_pdf else load_image, use_ocr=use_ocr)
    limits = Limits.of(settings)
    name = display_name(path.name)
    found: Problems = []
    try:
        found += precheck(path, limits)
        if path.stat().st_size == 0:
            raise LoadError(f"文件为空：{name}。请确认文件内容后重新上传。")
        with office.converted(path, limits) as parsed:  # .doc/.wps/.ppt: LibreOffice's .docx/.pptx copy
            if parsed != path:
                loader = LOADERS[parsed.suffix.lower()]
                found += precheck(parsed, limits)
            if loader is load_xls:
                loader = functools.partial(load_xls, max_cells=limits.max_cells)
            if parsed.suffix.lower() in _PARSED_IN_CHILD:
                _import_parsers()
                docs, in_child_found = in_child(_in_child, loader, parsed, source, name=name, limits=limits, on_progress=on_page)
                found += in_child_found
            else:
                docs = loader(parsed, source, found)
    except LoadError:
        raise
    except PermissionError:
        raise LoadError(f"没有权限读取 {name}，请检查文件权限。") from None
    except OSError as exc:
        raise LoadError(f"无法读取 {name}（{exc.strerror or type(exc).__name__}）。") from None
    except Exception as exc:  # noqa: BLE001 - the one place any parser failure becomes a LoadError
        _log.exception("loading %s failed", name)
        raise LoadError(f"无法解析 {name}（{type(exc).__name__}），文件可能已损坏或格式不规范，已跳过；请用原软件另存一份再上传。") from None
    finally:
        if problems is not None:  # what cost part of the file is reported even when the whole is refused
            problems.extend({"path": p["path"] or source, "reason": p["reason"]} for p in found)
    return docs


def _outside(target: Path, root: Path) -> bool:
    return not target.is_relative_to(root)


UNREADABLE_FOLDER = "无法读取文件夹"  # how walk() says it; ingest keeps what it indexed from such a folder


def walk(
    paths: list[Path], problems: list[tuple[Path, str]] | None = None, settings: Settings | None = None
) -> Iterator[tuple[Path, Path]]:
    """(root, file) for each file under the given paths; a file argument is its own root's child.

    Only regular files come out: FIFOs and devices (reading them hangs or never ends), links whose
    target leaves the folder being indexed, names that are not UTF-8, files over their type's size
    limit and folders that cannot be read go to `problems` as (path named as the index names files,
    Chinese reason) instead, so nothing is dropped without a word.
    """
    limits = Limits.of(settings)
    found: list[tuple[Path, str]] = []
    for given in paths:
        if not given.is_dir():
            yield given.parent, given
            continue
        root = given.resolve()
        files: list[Path] = []

        def unreadable(exc: OSError, given: Path = given) -> None:
            where = Path(exc.filename) if exc.filename else given
            found.append((_shown(given, where), f"{UNREADABLE_FOLDER}（{exc.strerror or type(exc).__name__}），其中的文件未编入；请检查文件夹权限。"))

        for folder, dirs, names in os.walk(given, onerror=unreadable):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for d in list(dirs):
                if (here / d).is_symlink():
                    dirs.remove(d)
                    if _outside(Path(os.path.realpath(here / d)), root):
                        found.append((_shown(given, here / d), "是指向知识库文件夹之外的链接，已跳过；请把文件本身放进知识库文件夹。"))
            for n in sorted(names):
                if n.startswith("."):
                    continue
                reason = _why_not(here / n, root, limits)
                if reason:
                    found.append((_shown(given, here / n), reason))
                else:
                    files.append(here / n)
        for file in sorted(files):
            yield given, file
    if problems is not None:
        problems.extend(found)


def _shown(given: Path, path: Path) -> Path:
    """A path as the index names files (folder name / relative path), printable even for GBK names."""
    return Path(display_name(Path(given.name) / path.relative_to(given)))


def _why_not(path: Path, root: Path, limits: Limits) -> str:
    """Why walk must not hand this entry to the loaders, or '' when it may."""
    if display_name(path.name) != path.name:
        return "文件名不是 UTF-8 编码（常见于 Windows 上打包的 zip），已跳过；请重命名该文件后重新放入。"
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            if _outside(Path(os.path.realpath(path)), root):
                return "是指向知识库文件夹之外的链接，已跳过；请把文件本身放进知识库文件夹。"
            info = path.stat()
    except OSError as exc:
        return f"无法读取（{exc.strerror or type(exc).__name__}）。"
    if not stat.S_ISREG(info.st_mode):
        return "不是普通文件（命名管道、设备等），已跳过；知识库只读取普通文件。"
    if path.suffix.lower() in SUPPORTED:
        try:
            check_size(path.name, info.st_size, limits)
        except LoadError as exc:
            return str(exc)
    return ""
