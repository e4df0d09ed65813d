"""What reading tables inside PDFs costs at ingest: load_pdf with and without ingest/pdf_tables.py.

Builds a PDF of N pages (prose, and a ruled 12-row table on every `--table-every`-th page) in a temp
folder and prints the median seconds per page of `load_pdf` as shipped and of the same pages read by
pypdf alone, with their ratio.

Run: .venv/bin/python -m bench.pdf_tables_bench [--pages 40] [--table-every 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ingest.load import load_pdf


def build(path: Path, pages: int, table_every: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=11, leading=16)
    story: list = []
    for p in range(1, pages + 1):
        story += [Paragraph(f"第{p}部分 全市工业经济运行情况平稳，规上工业增加值保持增长，重点产业支撑作用明显。" * 3, style)] * 6
        if p % table_every == 0:
            rows = [["镇街道", "规上工业产值（亿元）", "同比增长（%）"]] + [[f"第{r}镇", f"{100 + r}.5", f"{r}.1"] for r in range(12)]
            table = Table(rows)
            table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10), ("GRID", (0, 0), (-1, -1), 0.5, "black")]))
            story += [Paragraph(f"表{p} 2025年各镇街道规上工业产值", style), table]
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--table-every", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import ingest.pdf_tables as pdf_tables

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        build(path, args.pages, args.table_every)
        shipped = pdf_tables.with_tables
        timings: dict[str, list[float]] = {"pypdf only": [], "with tables": []}
        records = 0
        for _ in range(args.repeat):
            for name in timings:
                pdf_tables.with_tables = shipped if name == "with tables" else (lambda path, sections, problems: sections)
                started = time.perf_counter()
                docs = load_pdf(path, "bench/bench.pdf", [])
                timings[name].append(time.perf_counter() - started)
                if name == "with tables":
                    records = sum(1 for s in docs[0].sections if s.record)
        pdf_tables.with_tables = shipped
    pages = args.pages
    base = statistics.median(timings["pypdf only"])
    for name, values in timings.items():
        med = statistics.median(values)
        print(f"{name:12s} median {med:.2f} s for {pages} pages = {med / pages * 1000:.1f} ms/page  (x{med / base:.1f})")
    print(f"cell records from {pages // args.table_every} tables: {records}")


if __name__ == "__main__":
    main()
