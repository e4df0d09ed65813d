"""OCR throughput: pages/s of a generated N-page scanned PDF, OCR's share of ingest time, peak RSS.

    .venv/bin/python -m bench.ocr_bench --pages 10 [--font /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]
                                        [--work-dir DIR] [--repeats 1]

The same words are written twice: as an image-only A4 PDF at 150 dpi (what a scanner gives) and as a
PDF with a text layer (the baseline). Each is ingested by `python -m ingest` in a fresh child on a fresh
index; "OCR share" is the part of the scanned file's ingest time that the text-layer file does not need.
CPU seconds are the child's own (user + system, its parse child included), a figure that holds on a
busy machine where wall time does not. "char accuracy" compares the OCR text with the words drawn.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, median, synthetic_sentence

_PAGE = (1240, 1754)  # A4 at 150 dpi
_MARGIN = 120
_FONT_PX = 24  # about 11.5 pt at 150 dpi: 小四号, the usual body size of a notice
_LINE_PX = 40


def _paragraphs(n_pages: int, seed: int = 11) -> list[list[str]]:
    """Per page, its lines: paragraphs of synthetic bureau sentences wrapped at 40 characters, the first
    line of each indented two characters."""
    rng = random.Random(seed)
    per_line, per_page = (_PAGE[0] - 2 * _MARGIN) // _FONT_PX - 1, (_PAGE[1] - 2 * _MARGIN) // _LINE_PX
    pages: list[list[str]] = []
    lines: list[str] = []
    i = 0
    while len(pages) < n_pages:
        text = "　　" + "".join(synthetic_sentence(rng, i + k) for k in range(3))
        i += 3
        lines += [text[j : j + per_line] for j in range(0, len(text), per_line)]
        while len(lines) >= per_page and len(pages) < n_pages:
            pages.append(lines[:per_page])
            lines = lines[per_page:]
    return pages


def write_scanned(path: Path, pages: list[list[str]], font_path: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, _FONT_PX)
    images = []
    for lines in pages:
        image = Image.new("L", _PAGE, 255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(lines):
            draw.text((_MARGIN, _MARGIN + row * _LINE_PX), line, fill=0, font=font)
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)


def write_text_pdf(path: Path, pages: list[list[str]]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        pdf.setFont("STSong-Light", _FONT_PX * 72 / 150)
        for row, line in enumerate(lines):
            pdf.drawString(_MARGIN * 72 / 150, A4[1] - (_MARGIN + (row + 1) * _LINE_PX) * 72 / 150, line)
        pdf.showPage()
    pdf.save()


def ingest_once(kb: Path) -> dict[str, float]:
    """python -m ingest on kb/ into a fresh index: its summary, wall seconds, CPU seconds and peak RSS."""
    index = Path(tempfile.mkdtemp(prefix="kbqa-ocr-bench-"))
    env = {**os.environ, "KBQA_KB_DIR": str(kb)}
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "ingest", str(kb), "--index-dir", str(index), "--json"],
                                     cwd=ROOT, stdout=out, stderr=err, env=env)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            if os.waitstatus_to_exitcode(status) not in (0, 1):
                raise RuntimeError(err.read().decode("utf-8", "replace")[-2000:])
            summary = json.loads(out.read().decode("utf-8"))
    finally:
        shutil.rmtree(index, ignore_errors=True)
    return {"seconds": summary["seconds"], "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss_MB": usage.ru_maxrss / 1024, "skipped": len(summary.get("skipped", []))}


def char_accuracy(path: Path, pages: list[list[str]]) -> tuple[float, list[float]]:
    """(share of drawn characters the OCR text matches, seconds at which each page's OCR started)."""
    from ingest.load import load

    started = time.perf_counter()
    marks: list[float] = []
    docs = load(path, path.name, [], on_page=lambda _: marks.append(time.perf_counter() - started))
    read = "".join("".join(s.text.split()) for s in docs[0].sections)
    drawn = "".join("".join(line.split()) for lines in pages for line in lines)
    matcher = difflib.SequenceMatcher(None, drawn, read, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / len(drawn), [*marks, time.perf_counter() - started]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pages", type=int, default=10)
    p.add_argument("--font", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", help="a CJK TTF/OTF/TTC font")
    p.add_argument("--work-dir", type=Path, help="where the generated PDFs go (default: a temp folder)")
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kbqa-ocr-pdfs-"))
    pages = _paragraphs(args.pages)
    scanned_kb, text_kb = work / "scanned", work / "text"
    for kb in (scanned_kb, text_kb):
        kb.mkdir(parents=True, exist_ok=True)
    write_scanned(scanned_kb / "扫描件.pdf", pages, args.font)
    write_text_pdf(text_kb / "电子版.pdf", pages)

    scanned = [ingest_once(scanned_kb) for _ in range(args.repeats)]
    text = [ingest_once(text_kb) for _ in range(args.repeats)]
    accuracy, marks = char_accuracy(scanned_kb / "扫描件.pdf", pages)
    s, t = (median([r["seconds"] for r in runs]) for runs in (scanned, text))
    s_cpu, t_cpu = (median([r["cpu"] for r in runs]) for runs in (scanned, text))
    steady = (marks[-1] - marks[0]) / args.pages  # first page's start to the end: no engine start-up
    figures = {
        "pages": args.pages,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "scanned_ingest_s": round(s, 2),
        "text_ingest_s": round(t, 2),
        "ocr_pages_per_s": round(args.pages / max(s - t, 1e-9), 3),
        "ocr_share_of_ingest": round((s - t) / s, 3),
        "ocr_s_per_page_steady": round(steady, 2),
        "start_up_s": round(marks[0], 2),
        "scanned_cpu_s_per_page": round(s_cpu / args.pages, 2),
        "text_cpu_s": round(t_cpu, 2),
        "scanned_peak_rss_MB": round(median([r["peak_rss_MB"] for r in scanned]), 1),
        "text_peak_rss_MB": round(median([r["peak_rss_MB"] for r in text]), 1),
        "char_accuracy": round(accuracy, 4),
        "skipped": max(r["skipped"] for r in scanned + text),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
