"""Seeded mutations of real .docx/.xlsx/.pdf/.csv files: nothing but LoadError leaves `load`.
A few seconds here; bench/fuzz_loaders.py runs the same for minutes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bench.fuzz_loaders import fuzz
from tests.conftest import write_docx, write_pdf, write_xlsx


def test_mutated_files_never_escape(tmp_path: Path) -> None:
    rows = [["企业", "营收（亿元）"], ["青禾科技", "12.5"], ["蓝湾智能", "8.25"]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    samples = {
        ".docx": write_docx(tmp_path / "a.docx", [("Heading 1", "第一章 总则"), ("Normal", "第一条 示例条文。")], table=rows).read_bytes(),
        ".xlsx": write_xlsx(tmp_path / "b.xlsx").read_bytes(),
        ".pdf": write_pdf(tmp_path / "c.pdf", [["通知", "申报截止日期为2026年4月30日。"]]).read_bytes(),
        ".csv": text.getvalue().encode("gbk"),
    }
    work = tmp_path / "fuzz"
    work.mkdir()
    results = fuzz(samples, seconds=4.0, seed=7, folder=work)
    escapes = {s: {k: n for k, n in c.items() if k.startswith("escape")} for s, c in results.items()}
    assert escapes == {s: {} for s in samples}
    assert all(sum(c.values()) >= 3 for c in results.values())
