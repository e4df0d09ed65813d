"""Time of loading a .doc (LibreOffice conversion + the .docx loader) against the same .docx, per file.

Usage: .venv/bin/python bench/office_convert.py [--runs 5] [--paragraphs 200] [--work DIR]
Builds a policy-like .docx of the given size, saves it as .doc with LibreOffice, then loads each
`runs` times through ingest.load.load and prints medians and the ratio. The first .doc load of a run
also sets up LibreOffice's profile in our cache folder when it is not there yet; it is printed apart.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.load import load


def build(folder: Path, paragraphs: int) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("工业企业技术改造补助办法", style="Title")
    for n in range(1, paragraphs + 1):
        document.add_paragraph(f"第{n}条 设备投资额{100 + n}万元以上的技术改造项目，按投资额的{n % 9 + 1}%给予补助，单个项目最高{n * 10}万元。")
    path = folder / "补助办法.docx"
    document.save(str(path))
    return path


def timed(path: Path) -> float:
    started = time.perf_counter()
    load(path, f"kb/{path.name}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--paragraphs", type=int, default=200)
    parser.add_argument("--work", type=Path, default=None, help="folder for the built files (default: a temp folder)")
    args = parser.parse_args()
    program = shutil.which("soffice")
    if program is None:
        print("未安装 LibreOffice（soffice），无法测量 .doc 转换时间；请安装 libreoffice-writer-nogui。")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        docx_file = build(work, args.paragraphs)
        subprocess.run(
            [program, "--headless", f"-env:UserInstallation={(work / 'profile').as_uri()}", "--convert-to", "doc",
             "--outdir", str(work / "out"), str(docx_file)],
            check=True, capture_output=True, timeout=300,
        )
        doc = work / "out" / "补助办法.doc"
        size = doc.stat().st_size
        first = timed(doc)
        docs = [timed(doc) for _ in range(args.runs)]
        docxs = [timed(docx_file) for _ in range(args.runs)]
    print(f"paragraphs={args.paragraphs} doc_bytes={size} runs={args.runs}")
    print(f"first .doc load (may set up the profile): {first:.2f} s")
    print(f".doc load median: {statistics.median(docs):.2f} s (min {min(docs):.2f}, max {max(docs):.2f})")
    print(f".docx load median: {statistics.median(docxs):.3f} s")
    print(f"conversion cost per .doc (median difference): {statistics.median(docs) - statistics.median(docxs):.2f} s; "
          f"ratio {statistics.median(docs) / statistics.median(docxs):.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
