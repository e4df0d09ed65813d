"""Tables inside PDFs and .docx files become cell records with page/table/row/column locators."""

from __future__ import annotations

from pathlib import Path

from app.answer import Assistant
from app.settings import Settings
from ingest.index import run_ingest
from ingest.load import load
from tests.conftest import write_docx

TOWNS = [
    ["镇街道", "规上工业产值（亿元）", "同比增长（%）"],
    ["当湖街道", "312.5", "6.2"],
    ["钟埭街道", "208.4", "−1.5"],  # U+2212: pdfminer drops it with this font, pypdf keeps it
    ["新埭镇", "95.7", "8.9"],
]


def write_bulletin(path: Path, rows: list[list[str]] = TOWNS) -> Path:
    """A two-page statistical bulletin: prose on page 1, a captioned ruled table on page 2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=11, leading=16)
    table = Table(rows)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10), ("GRID", (0, 0), (-1, -1), 0.5, "black")]))
    SimpleDocTemplate(str(path), pagesize=A4).build([
        Paragraph("2025年全市工业经济统计公报（测试）", style),
        Paragraph("一、总体情况。全年全市规上工业增加值比上年增长7.1%，运行总体平稳。", style),
        PageBreak(),
        Paragraph("二、分区域情况。各镇街道发展较为均衡，详见下表。", style),
        Paragraph("表1 2025年各镇街道规上工业产值", style),
        Paragraph("单位：亿元，%", style),
        table,
        Paragraph("注：本表数据仅供测试。", style),
    ])
    return path


def test_pdf_table_becomes_cell_records_with_page_locators(tmp_path: Path) -> None:
    doc = load(write_bulletin(tmp_path / "公报.pdf"), "kb/公报.pdf")[0]
    records = {s.locator: s.record for s in doc.sections if s.record}
    assert set(records) == {f"第2页 表1!{c}{r}" for c in "BC" for r in (2, 3, 4)}
    cell = records["第2页 表1!B2"]
    assert cell is not None
    assert (cell.row_label, cell.column, cell.value, cell.unit, cell.period) == ("当湖街道", "规上工业产值", "312.5", "亿元", "2025年")
    growth = records["第2页 表1!C3"]
    assert growth is not None and (growth.value, growth.unit) == ("-1.5", "%")  # the sign is kept
    pages = [s for s in doc.sections if s.record is None and s.locator == "第2页"]
    # the page keeps its prose and caption; the table's figures are only in the records
    assert len(pages) == 1 and "分区域情况" in pages[0].text and "注：本表数据仅供测试" in pages[0].text
    assert "312.5" not in pages[0].text and "钟埭街道" not in pages[0].text
    assert next(s for s in doc.sections if s.locator == "第1页").text.count("7.1%") == 1


def test_minus_is_restored_only_to_a_figure_it_touches(tmp_path: Path) -> None:
    """pypdf puts each cell on its own line: a '-' cell (no data) right above 6.2 is no sign of it, and
    '2,3' is no figure for the sheet reader (two numbers), so neither is signed; −1.5 still is."""
    rows = [
        ["镇街道", "规上工业产值（亿元）", "同比增长（%）", "涉及条款"],
        ["当湖街道", "-", "6.2", "−2,3"],
        ["钟埭街道", "208.4", "−1.5", "4"],
    ]
    doc = load(write_bulletin(tmp_path / "公报.pdf", rows), "kb/公报.pdf")[0]
    values = {s.locator.rpartition("!")[2]: s.record.value for s in doc.sections if s.record}
    assert (values["C2"], values["D2"], values["C3"]) == ("6.2", "2,3", "-1.5")


def test_question_about_towns_is_answered_from_the_pdf_table(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    write_bulletin(kb / "公报.pdf")
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    answer = assistant.ask("2025年各镇街道规上工业产值是多少？")
    assert answer.answerable
    for figure in ("312.5亿元", "208.4亿元", "95.7亿元"):
        assert figure in answer.answer
    assert {c.locator for c in answer.citations} >= {"第2页 表1!B2", "第2页 表1!B3", "第2页 表1!B4"}
    one = assistant.ask("2025年钟埭街道同比增长多少？")
    assert "-1.5%" in one.answer and one.citations[0].locator == "第2页 表1!C3"


def test_pdf_without_ruled_table_keeps_its_pages(tmp_path: Path) -> None:
    from tests.conftest import write_pdf

    path = write_pdf(tmp_path / "通知.pdf", [["关于开展测试工作的通知", "各单位：请于3月底前报送材料。"]])
    doc = load(path, "kb/通知.pdf")[0]
    assert [(s.locator, s.record) for s in doc.sections] == [("第1页", None)]
    assert "3月底前报送材料" in doc.sections[0].text


def test_docx_table_cells_are_records_with_table_locators(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "简报.docx", [("Title", "2025年工业简报（测试）"), ("Normal", "各镇街道产值见下表。")], TOWNS)
    doc = load(path, "kb/简报.docx")[0]
    records = {s.locator: s.record for s in doc.sections if s.record}
    assert set(records) == {f"表1!{c}{r}" for c in "BC" for r in (2, 3, 4)}
    cell = records["表1!B4"]
    assert cell is not None and (cell.row_label, cell.value, cell.unit) == ("新埭镇", "95.7", "亿元")


def test_table_reading_out_of_time_keeps_the_page_text(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from app.schema import Section
    from ingest.pdf_tables import with_tables

    path = write_bulletin(tmp_path / "公报.pdf")
    pages = [Section(p.extract_text(), f"第{i}页") for i, p in enumerate(PdfReader(path).pages, start=1)]
    problems: list[dict[str, str]] = []
    assert with_tables(path, pages, problems, budget_s=0.0) == pages
    assert len(problems) == 1 and "第1页起的表格" in problems[0]["reason"] and "已按页面文字编入" in problems[0]["reason"]
    scanned = [pages[0], Section("当湖街道 312.5", "第2页·OCR识别")]  # a page read by OCR is left as it is
    assert with_tables(path, scanned, []) == scanned


def test_docx_table_caption_gives_title_period_and_unit(tmp_path: Path) -> None:
    rows = [["镇街道", "规上工业产值"], ["当湖街道", "312.5"], ["新埭镇", "95.7"]]
    paragraphs = [("Title", "工业简报（测试）"), ("Normal", "各镇街道产值如下："), ("Normal", "表1 2025年各镇街道规上工业产值"), ("Normal", "单位：亿元")]
    doc = load(write_docx(tmp_path / "简报.docx", paragraphs, rows), "kb/简报.docx")[0]
    records = {s.locator: s.record for s in doc.sections if s.record}
    cell = records["表1!B3"]
    assert cell is not None and (cell.row_label, cell.value, cell.unit, cell.period) == ("新埭镇", "95.7", "亿元", "2025年")
    assert cell.fact == "2025年新埭镇规上工业产值为95.7亿元"
    assert next(s.text for s in doc.sections if s.locator == "表1!B3") == "2025年新埭镇规上工业产值为95.7亿元（2025年各镇街道规上工业产值）"
