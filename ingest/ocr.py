"""Page image -> text in reading order, offline (RapidOCR: PP-OCRv4 Chinese models shipped in its wheel).

Why here and not in load.py: OCR is its own stage (render, detect, recognise, put lines back into
paragraphs) with its own costs; load.py only decides which pages need it. Lines below MIN_SCORE are
dropped: a scanned notice read wrongly is worse than a line missing, because the answer quotes it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import LoadError
from app.schema import Section
from ingest.limits import progress

_log = logging.getLogger(__name__)

MIN_SCORE = 0.6  # recogniser confidence below which a line is dropped (clean print reads 0.9-1.0)
RENDER_DPI = 150  # PDF pages: 10.5 pt body text is ~22 px high, what the recogniser reads well
MAX_SIDE = 2000  # pixels on a page's longer side (RapidOCR's own cap); a huge page is scaled down
MAX_PIXELS = 2_500_000  # what the detector is given at most: A4 at 150 dpi is 2.2 MP
MIN_SIDE = 736  # a short side below this is scaled up (RapidOCR's default), within the two caps above
MARK = "OCR识别"  # appended to the locator of every OCR'd section, so each citation says to check the scan
MIN_TEXT_CHARS = 20  # a PDF page with fewer characters in its text layer is OCR'd if it draws an image
_PAGES_NAMED = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_ENDS = "。！？!?；;：:”」』）)"
_INSTALL = "请安装 OCR 组件：.venv/bin/pip install rapidocr-onnxruntime pypdfium2"

_engine: tuple[int, Any] | None = None  # (pid, RapidOCR): one per process, never shared across a fork


@dataclass(frozen=True)
class Line:
    """One recognised text line with its box (pixels) and the recogniser's confidence."""

    text: str
    score: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _hint(exc: ImportError) -> str:
    """OpenCV (a RapidOCR dependency) needs the system's libGL/glib; anything else is a missing package."""
    if "lib" in str(exc) and ".so" in str(exc):
        return "请安装系统库：apt-get install libgl1 libglib2.0-0"
    return _INSTALL


def preload() -> None:
    """Import RapidOCR (onnxruntime, OpenCV: ~75 MB) before a parse child is forked, as the other parsers
    are: a child never imports, another thread may hold the import lock. Only for files that may need it.
    A failed import is left for the child to report in Chinese."""
    with contextlib.suppress(ImportError):
        import rapidocr_onnxruntime  # noqa: F401


def engine() -> Any:
    """The process's RapidOCR instance, created on first use.

    Why per process: onnxruntime's thread pool does not survive a fork, so a child parsing a file
    (ingest.limits.in_child) builds its own instead of inheriting the parent's.
    """
    global _engine
    if _engine is None or _engine[0] != os.getpid():
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise LoadError(f"OCR 组件无法加载（{exc}），无法识别扫描件和图片。{_hint(exc)}") from None
        # the detector sees the image as _fit made it: its default would scale the short side up to 736
        # without bound (a 600 x 80 strip became 5520 x 736 and ran out of memory in the parse child)
        _engine = (os.getpid(), RapidOCR(text_score=0.0, print_verbose=False, det_limit_type="max", det_limit_side_len=MAX_SIDE))
    return _engine[1]


def recognise(image: Any, min_score: float = MIN_SCORE) -> tuple[list[Line], int]:
    """(lines kept, lines dropped for confidence below min_score) of one PIL image; boxes are in the
    pixels of the image as _fit scaled it."""
    import numpy as np

    result, _ = engine()(np.asarray(_fit(image.convert("RGB"))))
    kept: list[Line] = []
    dropped = 0
    for box, text, score in result or []:
        text = str(text).strip()
        if not text:
            continue
        if float(score) < min_score:
            dropped += 1
            continue
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        kept.append(Line(text, float(score), min(xs), min(ys), max(xs), max(ys)))
    return kept, dropped


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Boxes on the same visual line, left to right: a box joins a row when its vertical middle lies
    within the row's band (the detector splits a line at wide gaps, e.g. 第一条␣␣text)."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda x: (x.top + x.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        if rows and min(x.top for x in rows[-1]) <= middle <= max(x.bottom for x in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda x: x.left) for row in rows]


def _join(parts: list[str]) -> str:
    """Concatenate pieces; a space only between two Latin/digit ends (CJK text has none)."""
    out = ""
    for part in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def paragraphs(lines: list[Line]) -> list[str]:
    """Lines -> paragraphs in reading order (top to bottom, left to right within a row).

    A row starts a new paragraph when it is indented (a Chinese paragraph opens two characters in), when
    the gap above it is wider than the page's usual line spacing, or when the row above stopped short
    of the right margin or ended a sentence short of it (a heading, the end of a paragraph).
    """
    rows = _rows(lines)
    if not rows:
        return []
    height = statistics.median(line.height for line in lines)
    left = min(row[0].left for row in rows)
    right = max(row[-1].right for row in rows)
    tops = [min(x.top for x in row) for row in rows]
    bottoms = [max(x.bottom for x in row) for row in rows]
    gaps = [tops[i] - bottoms[i - 1] for i in range(1, len(rows))]
    usual_gap = statistics.median(gaps) if gaps else height
    out: list[list[str]] = []
    for i, row in enumerate(rows):
        text = "".join((" " if j and x.left - row[j - 1].right > height else "") + x.text for j, x in enumerate(row))
        new = not out
        if i:
            prev = rows[i - 1]
            short = right - prev[-1].right > 2 * height
            ended = prev[-1].text.endswith(tuple(_ENDS)) and right - prev[-1].right > 0.5 * height
            indented = row[0].left - left > height
            wide = gaps[i - 1] > max(1.5 * usual_gap, 0.8 * height)
            new = new or short or ended or indented or wide
        if new:
            out.append([text])
        else:
            out[-1].append(text)
    return [_join(parts) for parts in out]


def read_image(image: Any) -> tuple[str, int]:
    """(text as paragraphs, one per line; lines dropped for low confidence) of one page image."""
    lines, dropped = recognise(image)
    return "\n".join(paragraphs(lines)), dropped


def _fit(image: Any) -> Any:
    """The image at the scale the detector reads best within bounded memory: a short side below MIN_SIDE
    scaled up, but never past MAX_SIDE on the longer side or MAX_PIXELS in all."""
    width, height = image.size
    scale = min(max(1.0, MIN_SIDE / max(1, min(width, height))), MAX_SIDE / max(width, height),
                (MAX_PIXELS / max(1, width * height)) ** 0.5)
    if abs(scale - 1.0) < 0.02:
        return image
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))))


def image_frames(path: Path) -> Iterator[Any]:
    """Each frame of an image file (a multi-page TIFF has several), as RGB."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if hasattr(img, "draft") and img.format == "JPEG":
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode a big JPEG at a fraction of its size
            for frame in ImageSequence.Iterator(img):
                yield frame.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LoadError(f"图片 {path.name} 已损坏或不是有效的图片文件（{type(exc).__name__}），请重新导出后再上传。") from None


def render_page(pdf: Any, index: int) -> Any:
    """Page `index` (0-based) of an open pypdfium2 document as an RGB PIL image at RENDER_DPI, its longer
    side capped at MAX_SIDE (a poster-sized page would otherwise render to gigapixels)."""
    page = pdf[index]
    width, height = page.get_size()
    scale = min(RENDER_DPI / 72, MAX_SIDE / max(width, height, 1))
    return page.render(scale=scale).to_pil().convert("RGB")


def has_images(pdf: Any, index: int) -> bool:
    """Whether the page draws any image: a page without one has nothing for OCR to read (blank, or only
    a few words of real text such as a page number)."""
    import pypdfium2.raw as pdfium_c

    return any(True for _ in pdf[index].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def usable(text: str) -> bool:
    """Whether a PDF page's text layer is worth keeping as it is: enough characters, mostly ones that
    Chinese prose is made of (a layer without a ToUnicode map extracts as control or private-use code)."""
    chars = [ch for ch in text if not ch.isspace()]
    if len(chars) < MIN_TEXT_CHARS:
        return False
    plain = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff" or " " < ch <= "~" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return plain / len(chars) >= 0.5


def _pages_named(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:_PAGES_NAMED]) + ("等" if len(numbers) > _PAGES_NAMED else "")
    return f"第{shown}页"


def read_pdf_pages(path: Path, texts: list[str], problems: list[dict[str, str]], enabled: bool) -> dict[int, str]:
    """{0-based page: OCR text} for the pages of a PDF whose text layer is not usable and that draw an image.

    With OCR off those pages are reported in `problems` (a PDF that is nothing but scans is refused
    with the reason). Pages whose lines were all dropped for low confidence are reported too.
    """
    name = path.name
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise LoadError(f"{name} 含扫描页，但 OCR 组件未安装。{_INSTALL}") from None
    candidates = [i for i, text in enumerate(texts) if not usable(text)]
    if not candidates:
        return {}
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise LoadError(f"PDF 文件 {name} 的扫描页无法渲染（{exc}），请重新导出 PDF。") from None
    try:
        scanned = [i for i in candidates if i < len(pdf) and has_images(pdf, i)]
        if scanned and not enabled:
            if all(not texts[i].strip() for i in range(len(texts)) if i not in scanned):
                raise LoadError(f"{name} 是扫描件（页面是图片，没有文字层），而 OCR 已关闭（KBQA_OCR=false），未编入；开启 OCR 后重新编入即可。")
            problems.append({"path": "", "reason": f"{name} 的{_pages_named([i + 1 for i in scanned])}是扫描页（没有文字层），OCR 已关闭（KBQA_OCR=false），这些页未编入。"})
            return {}
        found: dict[int, str] = {}
        faint: list[int] = []
        for done, i in enumerate(scanned, start=1):
            progress(f"{name} OCR 第{i + 1}页（{done}/{len(scanned)}）")
            text, dropped = read_image(render_page(pdf, i))
            if text.strip():
                found[i] = text
            elif dropped:
                faint.append(i + 1)
        if faint:
            problems.append({"path": "", "reason": f"{name} 的{_pages_named(faint)}是扫描页，但文字识别置信度过低，未编入；请用更清晰的扫描件（300 dpi）重新上传。"})
        return found
    finally:
        pdf.close()


def image_sections(path: Path, enabled: bool) -> list[Section]:
    """One section per frame of an image file, located 第N页·OCR识别 when it has several frames."""
    if not enabled:
        raise LoadError(f"图片 {path.name} 需要 OCR 识别文字，而 OCR 已关闭（KBQA_OCR=false），未编入；开启 OCR 后重新编入即可。")
    read: list[tuple[int, str]] = []
    dropped = frames = 0
    for frames, frame in enumerate(image_frames(path), start=1):
        progress(f"{path.name} OCR 第{frames}页")
        text, lost = read_image(frame)
        dropped += lost
        if text.strip():
            read.append((frames, text))
    if not read:
        faint = f"（有 {dropped} 行文字识别置信度过低，已舍弃）" if dropped else ""
        raise LoadError(f"图片 {path.name} 中没有识别出文字{faint}，已跳过；如图片确有文字，请用更清晰的扫描件（300 dpi）或原始电子文件。")
    return [Section(text, f"第{n}页·{MARK}" if frames > 1 else MARK) for n, text in read]
