"""File -> Document: one function per format, encoding detection, per-file errors as LoadError.

Every failure raises LoadError with a Chinese reason a staff member can act on; the caller skips the
file and carries on.
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from app.errors import LoadError
from app.schema import Document, Section
from app.text import detect_date, detect_validity
from ingest import tables

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".xlsx", ".csv", ".html", ".htm", ".jsonl")
_KIND_DIRS = {"articles": "article", "policies": "policy", "indicators": "indicator"}
_POLICY_MARK = re.compile(r"第[一二三四五六七八九十百零〇\d]+条")


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030, then charset-normalizer.

    charset-normalizer goes last because it misreads short GBK text as big5.
    """
    if not data.strip():
        raise LoadError(f"文件为空：{name}。请确认文件内容后重新上传。")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise LoadError(f"{name} 不是文本文件（含二进制内容），可能是改了扩展名的其他格式文件。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError(f"无法识别 {name} 的文字编码，请另存为 UTF-8 后重试。")
    return str(best)


def kind_of(rel_path: str, suffix: str, text: str = "") -> str:
    for part in Path(rel_path).parts[:-1]:
        if part in _KIND_DIRS:
            return _KIND_DIRS[part]
    if suffix in (".xlsx", ".csv"):
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


def load_text(path: Path, source: str) -> list[Document]:
    text = decode(path.read_bytes(), path.name)
    return [_document(source, path, [Section(text)])]


def load_docx(path: Path, source: str) -> list[Document]:
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
        sections.extend(tables.docx_table_sections(grid, t_index))
    return [_document(source, path, sections, title=doc.core_properties.title or "")]


def load_pdf(path: Path, source: str) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"PDF 文件 {path.name} 已损坏或无法解析（{type(exc).__name__}），请重新导出 PDF。") from None
    sections = [Section(text, f"第{i}页") for i, text in enumerate(pages, start=1) if text.strip()]
    return [_document(source, path, sections)]


def load_xlsx(path: Path, source: str) -> list[Document]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(str(path), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"Excel 文件 {path.name} 已损坏或不是 .xlsx 格式（{type(exc).__name__}）。") from None
    sections = [s for sheet in book.worksheets for s in tables.sheet_sections(tables.xlsx_grid(sheet), sheet.title)]
    return [_document(source, path, sections, title=_sheet_title(sections, path))]


def load_csv(path: Path, source: str) -> list[Document]:
    text = decode(path.read_bytes(), path.name)
    grid = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
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


def load_html(path: Path, source: str) -> list[Document]:
    parser = _HTMLText()
    parser.feed(decode(path.read_bytes(), path.name))
    parser.close()
    return [_document(source, path, [Section("\n\n".join(parser.lines))], title=parser.title)]


def load_jsonl(path: Path, source: str) -> list[Document]:
    """A corpus: one document per line with id, title, text, optional date; source is file#id."""
    docs = []
    for number, line in enumerate(decode(path.read_bytes(), path.name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            doc_id, text = str(row["id"]), str(row["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise LoadError(f"{path.name} 第{number}行不是含 id 和 text 字段的 JSON 对象。") from None
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
        raise LoadError(f"{path.name} 中没有任何含文字的记录。")
    return docs


LOADERS: dict[str, Callable[[Path, str], list[Document]]] = {
    ".txt": load_text,
    ".md": load_text,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".html": load_html,
    ".htm": load_html,
    ".jsonl": load_jsonl,
}


def load(path: Path, source: str) -> list[Document]:
    """Load one file; raises LoadError with a Chinese reason for anything we cannot use."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}；支持：{'、'.join(SUPPORTED)}。")
    try:
        if path.stat().st_size == 0:
            raise LoadError(f"文件为空：{path.name}。请确认文件内容后重新上传。")
        return loader(path, source)
    except PermissionError:
        raise LoadError(f"没有权限读取 {path.name}，请检查文件权限。") from None
    except (FileNotFoundError, IsADirectoryError, OSError) as exc:
        raise LoadError(f"无法读取 {path.name}（{exc.strerror or type(exc).__name__}）。") from None


def walk(paths: list[Path]) -> Iterator[tuple[Path, Path]]:
    """(root, file) for each file under the given paths; a file argument is its own root's child."""
    for given in paths:
        if given.is_dir():
            for file in sorted(p for p in given.rglob("*") if not p.is_dir()):
                if not any(part.startswith(".") for part in file.relative_to(given).parts):
                    yield given, file
        else:
            yield given.parent, given
