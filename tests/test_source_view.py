"""The source view of a citation over a real index: neighbouring paragraphs, a PDF page image, sheet windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.present import charts
from app.schema import Answer, Citation, Record
from app.settings import Settings
from app.source_view import page_png, paragraph_md, view
from app.store import Store
from ingest.index import run_ingest
from tests.conftest import QUESTION_DATE, TINY_KB, write_docx, write_pdf, write_xlsx


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Settings]:
    """One index for the module: building one with a .docx and a .pdf takes seconds."""
    tmp = tmp_path_factory.mktemp("source_view")
    kb = tmp / "kb"
    for rel, text in TINY_KB.items():
        (kb / rel).parent.mkdir(parents=True, exist_ok=True)
        (kb / rel).write_text(text, encoding="utf-8")
    (kb / "indicators").mkdir()
    write_xlsx(kb / "indicators" / "指标.xlsx")
    (kb / "indicators" / "培育.csv").write_text(
        "企业培育指标\n指标,2025年新增,单位\n小巨人企业,3,家\n专精特新企业,17,家\n数字化车间,[9](http://x.cn),个\n",
        encoding="utf-8")
    write_docx(kb / "articles" / "奖励.docx", [("Normal", "人工智能场景奖励标准如下。")],
               table=[["项目", "奖励（万元）"], ["省级场景", "50"], ["市级场景", "20"]])
    write_pdf(kb / "articles" / "通知.pdf", [["第一页的开头。"], ["申报截止日期为2026年4月30日。", "逾期不予受理。"]])
    settings = Settings(index_dir=tmp / "index", kb_dir=kb, reference_date=QUESTION_DATE)
    run_ingest([kb], settings)
    return Store.open(settings), settings


@pytest.fixture
def store(built: tuple[Store, Settings]) -> Store:
    return built[0]


@pytest.fixture
def settings(built: tuple[Store, Settings]) -> Settings:
    return built[1]


def cite(store: Store, locator: str, quote: str, source_part: str) -> Citation:
    chunk = next(c for c in store.chunks if c.locator == locator and source_part in c.source)
    return Citation(1, chunk.source, chunk.title, chunk.locator, quote, chunk.id)


def test_text_citation_shows_neighbouring_paragraphs_with_the_quote_marked(store: Store, settings: Settings) -> None:
    c = cite(store, "第4–5段", "去年新增国家级重点小巨人企业3家，省专精特新中小企业17家。", "回顾")
    v = view(store, c, settings.kb_dir)
    texts = [p.text for p in v.paragraphs]
    assert any("143.79亿元" in t for t in texts) and any("李明远" in t for t in texts)  # the passages around it
    [marked] = [p for p in v.paragraphs if p.mark]
    assert marked.text[marked.mark[0]: marked.mark[1]] == c.quote  # type: ignore[index]
    assert paragraph_md(marked).startswith(":orange-background[**去年新增")
    assert v.file == settings.kb_dir / "articles" / "2025年回顾.md" and v.table is None


def test_xlsx_cell_citation_shows_the_rows_and_columns_around_it(store: Store, settings: Settings) -> None:
    v = view(store, cite(store, "产业集群!B5", "", "指标.xlsx"), settings.kb_dir)
    assert v.table is not None and v.table.origin == "file"
    r, col = v.table.cell  # type: ignore[misc]
    assert v.table.rows[r][col] == "88.50" and v.table.index[r] == "5" and v.table.columns[col] == "B"
    assert "人工智能产业" in v.table.rows[r - 1] and "营收增速" in v.table.rows[r - 2]  # the header row above


def test_csv_cell_citation_reads_the_file_and_keeps_its_text_as_text(store: Store, settings: Settings) -> None:
    v = view(store, cite(store, "培育!B4", "", "培育.csv"), settings.kb_dir)
    assert v.table is not None and v.table.origin == "file"
    r, col = v.table.cell  # type: ignore[misc]
    assert v.table.rows[r][col] == "17" and v.table.rows[r][0] == "专精特新企业"


def test_docx_table_cell_is_rebuilt_from_the_indexed_records(store: Store, settings: Settings) -> None:
    chunk = next(c for c in store.chunks if c.record and "奖励.docx" in c.source and c.record.row_label == "市级场景")
    v = view(store, Citation(1, chunk.source, chunk.title, chunk.locator, chunk.text, chunk.id), settings.kb_dir)
    assert v.table is not None and v.table.origin == "index"
    r, col = v.table.cell  # type: ignore[misc]
    assert v.table.rows[r][col] == "20" and v.table.index == ("省级场景", "市级场景")


def test_pdf_citation_gives_the_page_image(store: Store, settings: Settings) -> None:
    c = cite(store, "第2页", "申报截止日期为2026年4月30日。", "通知.pdf")
    v = view(store, c, settings.kb_dir)
    assert v.page == 2 and v.file is not None
    png = page_png(v.file, v.page)
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    assert any(p.mark for p in v.paragraphs)


def test_a_citation_from_an_older_index_shows_its_quote(store: Store, settings: Settings) -> None:
    c = Citation(1, "kb/articles/已删除.md", "已删除", "第1段", "一段已不在索引中的原文。", "gone")
    v = view(store, c, settings.kb_dir)
    assert [p.text for p in v.paragraphs] == ["一段已不在索引中的原文。"] and v.note and v.file is None


def record(column: str, row: str, value: str, unit: str) -> Record:
    return Record("表", f"表!{column}{row}", row, column, value, unit, "2025年", "")


def test_charts_draw_one_measure_each_with_its_unit() -> None:
    values = [record("规上营收", "人工智能产业", "143.79", "亿元"), record("营收增速", "人工智能产业", "45.3", "%"),
              record("规上营收", "新材料产业", "358.6", "亿元"), record("营收增速", "新材料产业", "7.5", "%")]
    a = Answer("a", "q", "x", True, (), "extractive", 1.0, records=tuple(values))
    drawn = charts(a)
    assert [(c.title, c.unit, c.points) for c in drawn] == [
        ("2025年规上营收", "亿元", {"人工智能产业": 143.79, "新材料产业": 358.6}),
        ("2025年营收增速", "%", {"人工智能产业": 45.3, "新材料产业": 7.5})]
    one_growth = Answer("a", "q", "x", True, (), "extractive", 1.0, records=tuple(values[:3]))
    assert charts(one_growth) == []  # a value chart beside a single growth figure: none rather than half


def test_sheet_window_html_keeps_cell_text_as_text(store: Store, settings: Settings) -> None:
    from ui.source_view import table_html

    v = view(store, cite(store, "培育!B5", "", "培育.csv"), settings.kb_dir)
    assert v.table is not None
    page = table_html(v.table)
    assert "[9](http://x.cn)" in page and "<a" not in page  # a cell is text: st.html gets no link from it
    assert page.count('class="kbqa-cited"') == 1


def test_a_workbook_broken_after_indexing_shows_the_indexed_cells(tmp_path: Path) -> None:
    """The .xlsx behind a citation replaced by a broken file: the view says so and rebuilds the table from
    the index (it raised BadZipFile, a traceback on the page)."""
    kb = tmp_path / "kb"
    (kb / "indicators").mkdir(parents=True)
    write_xlsx(kb / "indicators" / "指标.xlsx")
    settings = Settings(index_dir=tmp_path / "index", kb_dir=kb, reference_date=QUESTION_DATE)
    run_ingest([kb], settings)
    store = Store.open(settings)
    (kb / "indicators" / "指标.xlsx").write_bytes(b"PK\x03\x04 not a workbook any more")
    v = view(store, cite(store, "产业集群!B5", "", "指标.xlsx"), kb)
    assert "无法重新读取原表格" in v.note
    assert v.table is not None and v.table.origin != "file"


def test_sheet_window_reads_cells_as_ingest_does(tmp_path: Path) -> None:
    """The window shows what the record says: a percent cell as 28.1% (it showed 0.281) and CSV saved as
    UTF-16 or Big5 in its own characters (it was decoded as UTF-8, else GB18030: garbled)."""
    import openpyxl

    kb = tmp_path / "kb"
    (kb / "indicators").mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "增速"
    sheet.append(["2025年集群增速"])
    sheet.append(["集群", "营收增速"])
    sheet.append(["智能装备集群", 0.281])
    sheet["B3"].number_format = "0.0%"
    book.save(kb / "indicators" / "增速.xlsx")
    grid = "園區指標\n園區,2025年企業數,單位\n東湖園區,42,家\n"
    (kb / "indicators" / "园区16.csv").write_bytes(grid.replace("園區指標", "园区指标").encode("utf-16"))
    (kb / "indicators" / "园区五.csv").write_bytes(grid.encode("big5"))
    settings = Settings(index_dir=tmp_path / "index", kb_dir=kb, reference_date=QUESTION_DATE)
    run_ingest([kb], settings)
    store = Store.open(settings)
    v = view(store, cite(store, "增速!B3", "", "增速.xlsx"), kb)
    assert v.table is not None and v.table.origin == "file"
    r, col = v.table.cell  # type: ignore[misc]
    assert v.table.rows[r][col] == "28.1%"
    for name in ("园区16", "园区五"):
        v = view(store, cite(store, f"{name}!B3", "", f"{name}.csv"), kb)
        assert v.table is not None and v.table.origin == "file"
        r, col = v.table.cell  # type: ignore[misc]
        assert v.table.rows[r][:2] == ("東湖園區", "42") and v.table.columns[:2] == ("A", "B")
