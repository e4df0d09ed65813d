"""OCR of scanned PDFs and image files: real RapidOCR on page images drawn here with a system CJK font.

The pages are small (900 x 420 px, 28 px text) so the suite's OCR stays at a few seconds a page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app.errors import LoadError
from app.settings import Settings
from ingest.index import run_ingest
from ingest.load import load
from tests.conftest import ROOT

_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


def _cjk_font() -> str | None:
    for path in _FONTS:
        if Path(path).exists():
            return path
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        for line in found.splitlines():
            path = line.split(":", 1)[0].strip()
            if path.endswith((".ttc", ".ttf", ".otf")):
                return path
    return None


def _ocr_missing() -> str:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError as exc:  # OpenCV without the system's libGL, say
        return f"RapidOCR 无法加载（{exc}）：请安装 libgl1 libglib2.0-0"
    return ""


FONT = _cjk_font()
pytestmark = [
    pytest.mark.skipif(FONT is None, reason="没有中文字体（请安装 fonts-noto-cjk），无法在测试中画出扫描页"),
    pytest.mark.skipif(bool(_ocr_missing()), reason=_ocr_missing() or "-"),
]

PAGE_1 = [
    "清河市经济和信息化局关于开展智能工厂评定的通知",
    "",
    "    各区县经信部门：现将2026年度智能工厂评定",
    "工作有关事项通知如下。",
    "    一、申报截止时间为2026年5月20日。",
]
PAGE_2 = [
    "    二、评定为智能工厂的企业给予一次性奖励",
    "80万元，由市财政统筹安排。",
    "    三、联系人：装备科陈思远。",
]


def _page(lines: list[str], size: tuple[int, int] = (900, 420)):
    """A white page with the lines drawn in black; four leading spaces mean a two-character indent."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 28)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        x = 40 + (56 if line.startswith("    ") else 0)
        draw.text((x, 30 + row * 54), line.strip(), fill="black", font=font)
    return image


def _scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    """An image-only PDF, as a scanner writes it: no text layer at all (Pillow's PDF writer)."""
    images = [_page(lines) for lines in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path


def _search(index_dir: Path, question: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "app", "search", question, "--index-dir", str(index_dir), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return data["hits"] if isinstance(data, dict) else data


def test_two_page_scanned_pdf_is_read_page_by_page_and_found_by_search(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "policies").mkdir(parents=True)
    _scanned_pdf(kb / "policies" / "智能工厂通知.pdf", [PAGE_1, PAGE_2])
    pages: list[str] = []
    summary = run_ingest([kb], settings, on_page=pages.append)
    assert summary.files_read == 1 and not summary.skipped
    assert len(pages) == 2 and "（2/2）" in pages[-1]  # what the UI's per-page progress bar shows
    hits = _search(settings.index_dir, "智能工厂奖励多少万元")
    assert hits[0]["locator"] == "第2页·OCR识别" and "80万元" in hits[0]["text"]
    hits = _search(settings.index_dir, "智能工厂评定申报截止时间")
    assert hits[0]["locator"].startswith("第1页·OCR识别") and "2026年5月20日" in hits[0]["text"]
    assert {h["locator"].split(" ")[0] for h in hits} == {"第1页·OCR识别", "第2页·OCR识别"}


def test_png_notice_in_reading_order(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "通知.png"
    _page(PAGE_1).save(path)
    heard: list[str] = []
    docs = load(path, "通知.png", [], settings, on_page=heard.append)
    assert heard == ["通知.png OCR 第1页"]
    assert [s.locator for s in docs[0].sections] == ["OCR识别"]
    lines = docs[0].sections[0].text.splitlines()
    assert lines[0] == "清河市经济和信息化局关于开展智能工厂评定的通知"
    assert lines[1].startswith("各区县") and lines[1].endswith("工作有关事项通知如下。")  # a wrapped line joins its paragraph
    assert lines[2] == "一、申报截止时间为2026年5月20日。"


def test_multipage_tiff_of_thin_strips(tmp_path: Path, settings: Settings) -> None:
    """Each frame is a page; a 600 x 80 strip is read in bounded memory (RapidOCR's default scaling made
    it 5520 x 736 and the parse child ran out of memory)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 28)
    frames = []
    for line in ("全市新增规上工业企业35家。", "", "技改投资同比增长12.5%。"):
        frame = Image.new("RGB", (600, 80), "white")
        ImageDraw.Draw(frame).text((20, 20), line, fill="black", font=font)
        frames.append(frame)
    frames[0].save(tmp_path / "条幅.tif", save_all=True, append_images=frames[1:])
    sections = load(tmp_path / "条幅.tif", "条幅.tif", [], settings)[0].sections
    assert [s.locator for s in sections] == ["第1页·OCR识别", "第3页·OCR识别"]
    assert "35家" in sections[0].text and "12.5%" in sections[1].text


def _mixed_pdf(path: Path) -> Path:
    """Page 1 with a text layer, page 2 a scan of PAGE_2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(60, 780, "第一页是电子文本：2026年全市计划新建数字化车间40个，培育标杆企业12家。")
    pdf.showPage()
    pdf.drawImage(ImageReader(_page(PAGE_2)), 60, 500, width=432, height=202)
    pdf.showPage()
    pdf.save()
    return path


def test_mixed_pdf_reads_only_the_scanned_page(tmp_path: Path, settings: Settings) -> None:
    path = _mixed_pdf(tmp_path / "混合.pdf")
    problems: list[dict[str, str]] = []
    docs = load(path, "混合.pdf", problems, settings)
    first, second = docs[0].sections
    assert first.locator == "第1页" and "数字化车间40个" in first.text
    assert second.locator == "第2页·OCR识别" and "80万元" in second.text
    assert not problems


def test_image_without_text_is_skipped_and_nothing_else_is_lost(tmp_path: Path, settings: Settings) -> None:
    from PIL import Image, ImageDraw

    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    blank = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(blank).ellipse((100, 100, 300, 300), outline="gray", width=6)
    blank.save(kb / "articles" / "照片.jpg")
    (kb / "articles" / "好.md").write_text("# 好文章\n\n全市新增专精特新企业17家。\n", encoding="utf-8")
    (kb / "articles" / "坏图.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    from PIL import Image as _Image

    _Image.new("1", (10_000, 6_000)).save(kb / "articles" / "超大.png")  # 60 megapixels in a few KB
    summary = run_ingest([kb], settings)
    reasons = {s["path"]: s["reason"] for s in summary.skipped}
    assert summary.files_read == 1 and summary.files_skipped == 3, reasons
    assert "没有识别出文字" in reasons["kb/articles/照片.jpg"]
    assert "已损坏或不是有效的图片" in reasons["kb/articles/坏图.png"]
    assert "10000 × 6000 像素" in reasons["kb/articles/超大.png"] and "KBQA_IMAGE_MAX_PIXELS" in reasons["kb/articles/超大.png"]


def test_ocr_off_skips_scans_with_a_reason(tmp_path: Path, settings: Settings) -> None:
    off = replace(settings, ocr=False)
    pdf = _scanned_pdf(tmp_path / "扫描件.pdf", [PAGE_1])
    with pytest.raises(LoadError, match=r"是扫描件.*KBQA_OCR=false"):
        load(pdf, "扫描件.pdf", [], off)
    png = tmp_path / "通知.png"
    _page(PAGE_2).save(png)
    with pytest.raises(LoadError, match=r"OCR 已关闭（KBQA_OCR=false）"):
        load(png, "通知.png", [], off)


def test_ocr_off_reports_the_scanned_pages_of_a_mixed_pdf(tmp_path: Path, settings: Settings) -> None:
    path = _mixed_pdf(tmp_path / "混合.pdf")
    problems: list[dict[str, str]] = []
    docs = load(path, "混合.pdf", problems, replace(settings, ocr=False))
    assert [s.locator for s in docs[0].sections] == ["第1页"]
    assert problems == [{"path": "混合.pdf", "reason": "混合.pdf 的第2页是扫描页（没有文字层），OCR 已关闭（KBQA_OCR=false），这些页未编入。"}]


def test_lines_below_the_threshold_are_dropped() -> None:
    from ingest.ocr import MIN_SCORE, recognise

    page = _page(PAGE_2[:2])
    everything, none_dropped = recognise(page, min_score=0.0)
    assert none_dropped == 0 and len(everything) == 2
    assert all(line.score >= MIN_SCORE for line in everything)  # clean print is kept at the default
    kept, dropped = recognise(page, min_score=max(line.score for line in everything))
    assert dropped == 1 and len(kept) == 1


def test_reading_order_rows_and_paragraphs() -> None:
    """Boxes come back in any order; a row split by a wide gap is one row, an indent opens a paragraph."""
    from ingest.ocr import Line, paragraphs

    boxes = [
        Line("第二条", 0.99, 10, 60, 90, 90),
        Line("本办法自2026年1月1日起施行，有效期", 0.99, 140, 61, 600, 91),
        Line("三年。", 0.98, 10, 100, 90, 130),
        Line("第一条 为规范资金管理，制定本办法。", 0.97, 10, 20, 480, 50),
        Line("附件：申报表", 0.99, 50, 160, 220, 190),
    ]
    assert paragraphs(boxes) == [
        "第一条 为规范资金管理，制定本办法。",
        "第二条 本办法自2026年1月1日起施行，有效期三年。",
        "附件：申报表",
    ]
