"""scripts/make_sample_kb.py regenerates every binary sample in kb/: a sample it does not write cannot be
rebuilt or changed in one place with the others."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from scripts.make_sample_kb import write_sectors

ROOT = Path(__file__).resolve().parent.parent


def _cells(path: Path) -> list[tuple[str, list[tuple[object, ...]], list[str]]]:
    book = openpyxl.load_workbook(path)
    return [
        (sheet.title, list(sheet.iter_rows(values_only=True)), sorted(str(r) for r in sheet.merged_cells.ranges))
        for sheet in book.worksheets
    ]


def test_the_sub_sector_sheet_is_generated_as_shipped(tmp_path: Path) -> None:
    """kb/indicators/2025年细分行业指标.xlsx was added by hand; the script now writes the same cells."""
    (tmp_path / "indicators").mkdir()
    written = write_sectors(tmp_path)
    assert _cells(written) == _cells(ROOT / "kb" / "indicators" / "2025年细分行业指标.xlsx")
