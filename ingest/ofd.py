""".ofd (GB/T 33190) -> Document: the text layer of each page, with 第N页 locators.

An OFD is a zip of XML parts: OFD.xml names each document's root (DocBody/DocRoot), the document's
Document.xml lists its pages (Pages/Page BaseLoc), and each page's Content.xml holds layers of
TextObject elements whose TextCode children carry the characters. Text is read in document order and
joined into lines by each object's baseline, which is how the writers we know lay it out (one object
per line or per run of a line). A page template's text (headers, footers) is read after the page.

Why our own reader: the PyPI OFD packages render pages (fonts, images, PDF output) with a dozen
dependencies; the text layer needs only the zip and lxml, which we already have. The zip's declared
sizes are checked (ingest/limits.py) before this runs, XML entities are never resolved, and the caller
parses it in the forked child with a time and memory limit.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import LoadError
from app.schema import Section
from ingest.limits import zip_xml

_MAX_PAGES = 5000  # a page list longer than this is not a document we can index in one piece
_LINE_TOLERANCE = 0.5  # share of the font size two baselines may differ by and still be one line


@dataclass(frozen=True)
class _Run:
    """One TextCode: its text and the baseline it sits on (page units, mm)."""

    text: str
    y: float
    size: float


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def _first_text(el: Any, *path: str) -> str:
    for name in path:
        found = _children(el, name)
        if not found:
            return ""
        el = found[0]
    return (el.text or "").strip()


def _resolve(base_dir: str, loc: str, names: set[str]) -> str:
    """A part's name in the zip: ST_Loc is absolute from the package root ('/Doc_0/...') or relative to
    the folder of the part that names it."""
    loc = loc.strip().replace("\\", "/")
    path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)
    path = posixpath.normpath(path)
    if path not in names:
        raise KeyError(path)
    return path


def _numbers(text: str | None) -> list[float]:
    out = []
    for part in (text or "").split():
        try:
            out.append(float(part))
        except ValueError:
            continue
    return out


def _runs(el: Any, runs: list[_Run]) -> None:
    """TextCode runs under el in document order (layers, page blocks, text objects)."""
    for child in el:
        name = _local(child)
        if name == "TextObject":
            box = _numbers(child.get("Boundary"))
            top = box[1] if len(box) >= 2 else 0.0
            size = (_numbers(child.get("Size")) or [3.5])[0]
            for code in _children(child, "TextCode"):
                text = "".join(code.itertext())
                if text.strip():
                    runs.append(_Run(text, top + (_numbers(code.get("Y")) or [0.0])[0], size))
        elif name in ("Layer", "PageBlock", "Content"):
            _runs(child, runs)


def _lines(runs: list[_Run]) -> str:
    """Runs on the same baseline (within half a font size) make one line; a new baseline starts the next."""
    lines: list[str] = []
    current: list[str] = []
    last: _Run | None = None
    for run in runs:
        if last is not None and abs(run.y - last.y) > _LINE_TOLERANCE * max(run.size, last.size):
            lines.append("".join(current).strip())
            current = []
        current.append(run.text)
        last = run
    if current:
        lines.append("".join(current).strip())
    return "\n".join(line for line in lines if line)


def _page_text(archive: zipfile.ZipFile, content: str, templates: dict[str, str]) -> str:
    root = zip_xml(archive, content)
    runs: list[_Run] = []
    for child in root:
        if _local(child) == "Content":
            _runs(child, runs)
    text = _lines(runs)
    for template in _children(root, "Template"):
        part = templates.get(template.get("TemplateID") or "")
        if part:
            template_runs: list[_Run] = []
            for child in zip_xml(archive, part):
                if _local(child) == "Content":
                    _runs(child, template_runs)
            text = "\n".join(t for t in (text, _lines(template_runs)) if t)
    return text


def read_ofd(path: Path) -> tuple[str, list[Section]]:
    """(title from DocInfo, one Section per page with text) of the first document in the package.

    Raises LoadError naming what is missing when the package is not a readable OFD.
    """
    from lxml import etree

    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "OFD.xml" not in names:
                raise LoadError(f"OFD 文件 {name} 中缺少 OFD.xml，不是有效的 OFD 文件；请用版式软件（数科、福昕等）重新导出。")
            ofd = zip_xml(archive, "OFD.xml")
            body = next(iter(_children(ofd, "DocBody")), None)
            if body is None:
                raise LoadError(f"OFD 文件 {name} 的 OFD.xml 中没有 DocBody，无法找到文档；请重新导出。")
            title = _first_text(body, "DocInfo", "Title")
            doc_part = _resolve("", _first_text(body, "DocRoot"), names)
            doc_dir = posixpath.dirname(doc_part)
            document = zip_xml(archive, doc_part)
            templates = {
                t.get("ID") or "": _resolve(doc_dir, t.get("BaseLoc") or "", names)
                for common in _children(document, "CommonData")
                for t in _children(common, "TemplatePage")
            }
            pages = [p for group in _children(document, "Pages") for p in _children(group, "Page")]
            if len(pages) > _MAX_PAGES:
                raise LoadError(f"OFD 文件 {name} 有 {len(pages)} 页，超过 {_MAX_PAGES} 页的上限；请拆分后重新上传。")
            sections = []
            for number, page in enumerate(pages, start=1):
                content = _resolve(doc_dir, page.get("BaseLoc") or "", names)
                text = _page_text(archive, content, templates)
                if text.strip():
                    sections.append(Section(text, f"第{number}页"))
    except KeyError as exc:
        raise LoadError(f"OFD 文件 {name} 缺少其中引用的部件 {exc.args[0] if exc.args else ''}，文件不完整；请重新导出。") from None
    except zipfile.BadZipFile:
        raise LoadError(f"OFD 文件 {name} 已损坏或不是 OFD 格式（不是有效的 zip 包）；请重新导出。") from None
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise LoadError(f"OFD 文件 {name} 中的 XML 有误（{type(exc).__name__}），无法解析；请重新导出。") from None
    if not sections:
        raise LoadError(
            f"OFD 文件 {name} 中没有可提取的文字（可能只有扫描图像，共 {len(pages)} 页）；"
            "请向发文单位索取带文字层的版本，或另存为 PDF/Word 后上传。"
        )
    return title, sections
