"""Legacy and other office formats with real files built in each test: .xls/.et, .pptx, .ofd, and
.doc/.wps/.ppt converted by LibreOffice (skipped, with the reason printed, where soffice is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from app.errors import LoadError
from app.settings import Settings
from app.store import Store
from app.tokens import tokenize
from ingest.chunk import chunk_document
from ingest.index import run_ingest
from ingest.load import load
from tests.conftest import write_docx

NO_SOFFICE = "未安装 LibreOffice（soffice），跳过转换测试；以 root 运行 bash test.sh 会安装 libreoffice-writer-nogui 等软件包"
SHEET = [
    ["2025年园区主要指标", "", ""],
    ["单位：亿元，%", "", ""],
    ["园区", "工业产值（亿元）", "产值增速"],
    ["青溪园区", 215.4, 0.083],
    ["白鹭湾园区", 96.25, -0.012],
]
MERGES = [(0, 0, 0, 2), (1, 1, 0, 2)]  # rows and columns, first and last (inclusive)
FORMATS = {1: "0.00", 2: "0.0%"}  # by column


def chunks_of(path: Path, source: str = "") -> list:
    return [c for d in load(path, source or f"kb/{path.name}") for c in chunk_document(d, 240)]


def records(chunks: list) -> list[tuple]:
    return [(c.locator, c.text, c.record.value, c.record.unit, c.record.period) for c in chunks if c.record]


def write_sheet_xlsx(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "园区"
    for row in SHEET:
        sheet.append([v if v != "" else None for v in row])
    for r1, r2, c1, c2 in MERGES:
        sheet.merge_cells(start_row=r1 + 1, end_row=r2 + 1, start_column=c1 + 1, end_column=c2 + 1)
    for r in range(3, len(SHEET)):
        for c, fmt in FORMATS.items():
            sheet.cell(r + 1, c + 1).number_format = fmt
    book.save(path)
    return path


def write_sheet_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("园区")
    merged = {(r1, c1) for r1, _, c1, _ in MERGES}
    for r1, r2, c1, c2 in MERGES:
        sheet.write_merge(r1, r2, c1, c2, SHEET[r1][c1])
    styles = {c: xlwt.easyxf(num_format_str=fmt) for c, fmt in FORMATS.items()}
    for r, row in enumerate(SHEET):
        for c, value in enumerate(row):
            if value == "" or (r, c) in merged or any(r1 <= r <= r2 and c1 <= c <= c2 for r1, r2, c1, c2 in MERGES):
                continue
            if r >= 3 and c in styles:
                sheet.write(r, c, value, styles[c])
            else:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_xls_gives_the_records_of_the_same_xlsx(tmp_path: Path) -> None:
    from_xlsx = chunks_of(write_sheet_xlsx(tmp_path / "园区.xlsx"))
    from_xls = chunks_of(write_sheet_xls(tmp_path / "园区.xls"))
    assert records(from_xls) == [
        ("园区!B4", "2025年青溪园区工业产值为215.40亿元（2025年园区主要指标）", "215.40", "亿元", "2025年"),
        ("园区!C4", "2025年青溪园区产值增速为8.3%（2025年园区主要指标）", "8.3", "%", "2025年"),
        ("园区!B5", "2025年白鹭湾园区工业产值为96.25亿元（2025年园区主要指标）", "96.25", "亿元", "2025年"),
        ("园区!C5", "2025年白鹭湾园区产值增速为-1.2%（2025年园区主要指标）", "-1.2", "%", "2025年"),
    ]
    assert [(c.locator, c.text, c.kind) for c in from_xls] == [(c.locator, c.text, c.kind) for c in from_xlsx]
    assert from_xls[0].title == "2025年园区主要指标"


def test_et_written_as_biff_is_read_like_xls(tmp_path: Path) -> None:
    """WPS 表格 writes .et as a BIFF workbook; the test renames an .xls built here (no WPS on Linux)."""
    xls = write_sheet_xls(tmp_path / "园区.xls")
    et = tmp_path / "园区.et"
    shutil.copyfile(xls, et)
    assert records(chunks_of(et)) == records(chunks_of(xls))


def write_pptx(path: Path) -> Path:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "数字化改造推进情况"
    first.placeholders[1].text_frame.text = "全市完成数字化改造企业412家。\n青溪园区建成智能工厂6个。"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "重点园区指标"
    table = second.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    for r, row in enumerate([["园区", "2025年产值（亿元）", "增速"], ["青溪园区", "215.4", "8.3%"], ["白鹭湾园区", "96.25", "-1.2%"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(str(path))
    return path


def test_pptx_slides_titles_and_table(tmp_path: Path) -> None:
    chunks = chunks_of(write_pptx(tmp_path / "汇报.pptx"))
    assert [(c.locator, c.text) for c in chunks] == [
        ("第1张幻灯片", "全市完成数字化改造企业412家。\n青溪园区建成智能工厂6个。"),
        ("第2张幻灯片表1!A1", "指标：园区、2025年产值（亿元）、增速。"),
        ("第2张幻灯片表1!B2", "2025年青溪园区产值为215.4亿元（第2张幻灯片表1）"),
        ("第2张幻灯片表1!C2", "青溪园区增速为8.3%（第2张幻灯片表1）"),
        ("第2张幻灯片表1!B3", "2025年白鹭湾园区产值为96.25亿元（第2张幻灯片表1）"),
        ("第2张幻灯片表1!C3", "白鹭湾园区增速为-1.2%（第2张幻灯片表1）"),
    ]
    assert chunks[0].heading_path == "数字化改造推进情况" and chunks[0].title == "数字化改造推进情况"


OFD_NS = "http://www.ofdspec.org/2016"


def write_ofd(path: Path, pages: list[list[str]], title: str = "") -> Path:
    """A minimal GB/T 33190 package: OFD.xml -> Doc_0/Document.xml -> Pages/Page_N/Content.xml, one
    TextObject per line (each line split in two runs to check they are joined), images only where a
    page has no lines."""
    ofd = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
        f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0f1e2d3c</ofd:DocID><ofd:Title>{title}</ofd:Title></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )
    page_list = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
        "<ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        f"</ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", ofd)
        archive.writestr("Doc_0/Document.xml", document)
        for i, lines in enumerate(pages):
            objects = []
            for n, line in enumerate(lines):
                half = len(line) // 2
                y = 30 + 8 * n
                for k, (x, part) in enumerate(((25, line[:half]), (25 + 4.2 * half, line[half:]))):
                    objects.append(
                        f'<ofd:TextObject ID="{100 * i + 2 * n + k + 1}" Boundary="{x} {y} 160 6" Font="3" Size="4.2">'
                        f'<ofd:TextCode X="0" Y="4.2" DeltaX="g {max(len(part) - 1, 0)} 4.2">{part}</ofd:TextCode></ofd:TextObject>'
                    )
            if not lines:
                objects.append('<ofd:ImageObject ID="900" Boundary="0 0 210 297" CTM="210 0 0 297 0 0" ResourceID="5"/>')
            content = (
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
                f'<ofd:Layer ID="{500 + i}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
            )
            archive.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", content)
    return path


def test_ofd_two_pages_with_page_locators(tmp_path: Path) -> None:
    path = write_ofd(
        tmp_path / "通知.ofd",
        [
            ["关于开展智能工厂评定工作的通知", "各区县经信部门：", "现将有关事项通知如下，请于4月30日前报送材料。"],
            ["评定通过的智能工厂给予一次性奖励80万元。", "联系人：周清和，电话：0571-86000000。"],
        ],
        title="智能工厂评定通知",
    )
    chunks = chunks_of(path)
    assert {c.locator for c in chunks} == {"第1页", "第2页"}
    page2 = " ".join(c.text for c in chunks if c.locator == "第2页")
    assert "评定通过的智能工厂给予一次性奖励80万元。" in page2 and "周清和" in page2
    page1 = " ".join(c.text for c in chunks if c.locator == "第1页")
    assert "现将有关事项通知如下，请于4月30日前报送材料。" in page1
    assert chunks[0].title == "智能工厂评定通知"


def soffice_or_skip() -> str:
    program = shutil.which("soffice")
    if program is None:
        print(NO_SOFFICE)
        pytest.skip(NO_SOFFICE)
    return program


def convert(program: str, src: Path, target: str, out: Path) -> Path:
    """Build a legacy file the way a user's office suite would: LibreOffice saves our .docx/.pptx as it."""
    profile = out.parent / "lo-profile"
    subprocess.run(
        [program, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", target, "--outdir", str(out), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    return out / f"{src.stem}.{target}"


POLICY = [
    ("Title", "工业企业技术改造补助办法"),
    ("Normal", "第一条 为推动工业企业技术改造，制定本办法。"),
    ("Normal", "第二条 设备投资额500万元以上的项目，按投资额的8%给予补助。"),
    ("Normal", "第三条 本办法自2026年5月1日起施行。"),
]


def test_doc_and_wps_are_converted_by_libreoffice(tmp_path: Path) -> None:
    program = soffice_or_skip()
    docx_file = write_docx(tmp_path / "补助办法.docx", POLICY)
    doc = convert(program, docx_file, "doc", tmp_path / "out")
    wps = tmp_path / "out" / "补助办法WPS.wps"  # a WPS 文字 .wps is a Word 97 file: the .doc renamed
    shutil.copyfile(doc, wps)
    expected = [
        ("第一条", "第一条 为推动工业企业技术改造，制定本办法。"),
        ("第二条", "第二条 设备投资额500万元以上的项目，按投资额的8%给予补助。"),
        ("第三条", "第三条 本办法自2026年5月1日起施行。"),
    ]
    for path in (doc, wps):
        chunks = chunks_of(path)
        assert [(c.locator, c.text) for c in chunks] == expected, path.name
        assert chunks[0].kind == "policy" and chunks[0].source == f"kb/{path.name}"


def test_ppt_is_converted_by_libreoffice(tmp_path: Path) -> None:
    program = soffice_or_skip()
    ppt = convert(program, write_pptx(tmp_path / "汇报.pptx"), "ppt", tmp_path / "out")
    texts = [(c.locator, c.text) for c in chunks_of(ppt)]
    assert ("第1张幻灯片", "全市完成数字化改造企业412家。\n青溪园区建成智能工厂6个。") in texts
    assert ("第2张幻灯片表1!B2", "2025年青溪园区产值为215.4亿元（第2张幻灯片表1）") in texts


def test_without_soffice_the_reason_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "旧办法.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LoadError) as caught:
        load(doc, "kb/旧办法.doc")
    assert "没有安装 LibreOffice" in str(caught.value) and "libreoffice-writer-nogui" in str(caught.value)


def test_bad_files_skipped_with_reasons_good_ones_ingested(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "policies").mkdir(parents=True)
    (kb / "indicators").mkdir()
    write_sheet_xls(kb / "indicators" / "园区.xls")
    write_ofd(kb / "policies" / "通知.ofd", [["智能工厂评定通过的给予一次性奖励80万元。"], ["联系人：周清和。"]])
    write_pptx(kb / "policies" / "汇报.pptx")
    (kb / "indicators" / "坏表.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000))
    write_ofd(kb / "policies" / "扫描件.ofd", [[], []])
    (kb / "policies" / "坏文档.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x07" * 5000)

    summary = run_ingest([kb], settings)

    reasons = {s["path"]: s["reason"] for s in summary.skipped}
    assert summary.files_read == 3 and summary.files_skipped == 3, reasons
    assert "坏表.xls 已损坏" in reasons["kb/indicators/坏表.xls"]
    assert "没有可提取的文字" in reasons["kb/policies/扫描件.ofd"] and "共 2 页" in reasons["kb/policies/扫描件.ofd"]
    if shutil.which("soffice"):
        assert "LibreOffice 无法打开 Word 文件 坏文档.doc" in reasons["kb/policies/坏文档.doc"]
    else:
        print(NO_SOFFICE)
        assert "libreoffice-writer-nogui" in reasons["kb/policies/坏文档.doc"]
    store = Store.open(settings)
    best = store.chunks[store.bm25_search(tokenize("智能工厂 一次性奖励"), 1)[0][0]]
    assert (best.source, best.locator) == ("kb/policies/通知.ofd", "第1页")
    top = store.chunks[store.bm25_search(tokenize("白鹭湾园区 产值增速"), 1)[0][0]]
    assert (top.source, top.locator) == ("kb/indicators/园区.xls", "园区!C5")


def test_xls_over_the_cell_limit_is_skipped_with_the_setting_named(tmp_path: Path) -> None:
    """KBQA_MAX_CELLS holds for .xls as for .xlsx (it was never applied: every cell was formatted and indexed)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("明细")
    for r in range(40):
        for c in range(30):
            sheet.write(r, c, r * c)
    path = tmp_path / "明细.xls"
    book.save(str(path))
    with pytest.raises(LoadError, match="KBQA_MAX_CELLS") as caught:
        load(path, "kb/明细.xls", [], Settings(max_cells=1000))
    assert "明细" in str(caught.value) and "1000" in str(caught.value)
    assert load(path, "kb/明细.xls", [], Settings(max_cells=2000))  # within the limit: read as before


def test_xls_and_xlsx_fill_merged_cells_alike(tmp_path: Path) -> None:
    """A merge over rows (a row label), over columns (a group header) and over data cells gives the same
    grid from .xls as from the same .xlsx: both fill a merge from its top-left cell."""
    import openpyxl
    import xlrd
    import xlwt

    from ingest.office import xls_grid
    from ingest.tables import xlsx_grid

    rows = [["园区", "2025年", "", "备注"], ["", "产值", "增速", ""], ["青溪园区", 10, 2, "同一批"], ["白鹭湾园区", 11, 3, ""]]
    merges = [(0, 1, 0, 0), (0, 0, 1, 2), (2, 3, 3, 3)]
    inside = {(r, c) for r1, r2, c1, c2 in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([v if v != "" else None for v in row])
    for r1, r2, c1, c2 in merges:
        book.active.merge_cells(start_row=r1 + 1, end_row=r2 + 1, start_column=c1 + 1, end_column=c2 + 1)
    book.save(tmp_path / "t.xlsx")
    old = xlwt.Workbook(encoding="utf-8")
    sheet = old.add_sheet("t")
    for r1, r2, c1, c2 in merges:
        sheet.write_merge(r1, r2, c1, c2, rows[r1][c1])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "" and (r, c) not in inside:
                sheet.write(r, c, value)
    old.save(str(tmp_path / "t.xls"))
    xls = xlrd.open_workbook(str(tmp_path / "t.xls"), formatting_info=True)
    from_xlsx = xlsx_grid(openpyxl.load_workbook(tmp_path / "t.xlsx", data_only=True).active)
    assert xls_grid(xls, xls.sheet_by_index(0)) == from_xlsx
    assert from_xlsx[1][0] == "园区" and from_xlsx[0][2] == "2025年" and from_xlsx[3][3] == "同一批"
