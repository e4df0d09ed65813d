"""One test per format with a real file built in the test; chunk texts and locators asserted exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import LoadError
from ingest.chunk import chunk_document
from ingest.load import decode, load
from tests.conftest import write_docx, write_pdf, write_xlsx


def chunks_of(path: Path, max_chars: int = 240) -> list:
    return [c for d in load(path, f"kb/{path.name}") for c in chunk_document(d, max_chars)]


def test_docx_articles_headings_and_table(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "办法.docx",
        [
            ("Title", "扶持办法"),
            ("Heading 1", "第一章 总则"),
            ("Normal", "第一条 为支持产业发展，制定本办法。"),
            ("Normal", "第二条 本办法自2026年3月1日起施行。"),
            ("Heading 1", "第二章 支持措施"),
            ("Normal", "第三条 对新认定的应用场景奖励50万元。"),
        ],
        table=[["事项", "奖励（万元）"], ["应用场景", "50"]],
    )
    chunks = chunks_of(path)
    assert [(c.locator, c.heading_path, c.text) for c in chunks] == [
        ("第一条", "第一章 总则", "第一条 为支持产业发展，制定本办法。"),
        ("第二条", "第一章 总则", "第二条 本办法自2026年3月1日起施行。"),
        ("第三条", "第二章 支持措施", "第三条 对新认定的应用场景奖励50万元。"),
        ("表1!A1", "表1", "指标：事项、奖励（万元）。"),
        ("表1!B2", "表1", "应用场景奖励为50万元（表1）"),
    ]
    assert chunks[0].kind == "policy" and chunks[0].title == "扶持办法"
    assert load(path, "kb/办法.docx")[0].effective == "自2026年3月1日起施行"


def test_xlsx_merged_title_and_unit_row(tmp_path: Path) -> None:
    chunks = chunks_of(write_xlsx(tmp_path / "指标.xlsx"))
    records = [(c.locator, c.text, c.record.value, c.record.unit, c.record.period) for c in chunks if c.record]
    assert records == [
        ("产业集群!B4", "2025年人工智能产业规上营收为143.79亿元（2025年重点产业指标）", "143.79", "亿元", "2025年"),
        ("产业集群!C4", "2025年人工智能产业营收增速为45.30%（2025年重点产业指标）", "45.30", "%", "2025年"),
        ("产业集群!B5", "2025年数字经济核心产业规上营收为88.50亿元（2025年重点产业指标）", "88.50", "亿元", "2025年"),
        ("产业集群!C5", "2025年数字经济核心产业营收增速为12.00%（2025年重点产业指标）", "12.00", "%", "2025年"),
    ]
    assert chunks[0].kind == "indicator"


def test_gbk_txt_and_relative_year(tmp_path: Path) -> None:
    path = tmp_path / "回顾.txt"
    path.write_bytes("年度回顾\n\n发布日期：2026年1月15日\n\n去年全年全市规上工业产值1923.3亿元，增长7.2%。\n".encode("gbk"))
    chunks = chunks_of(path)
    assert chunks[-1].text == "去年全年全市规上工业产值1923.3亿元，增长7.2%。"
    assert "2025年全年全市规上工业产值1923.3亿元" in chunks[-1].index_text
    assert "2025" in chunks[-1].periods and chunks[-1].doc_date == "2026-01-15"


def test_utf16_and_bom_decode() -> None:
    assert decode("数控机床".encode("utf-16"), "a.txt") == "数控机床"
    assert decode("\ufeff数控机床".encode(), "a.txt") == "数控机床"
    assert decode("规上工业".encode("gbk"), "a.txt") == "规上工业"


def test_two_page_pdf_keeps_page_numbers(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "通知.pdf", [["申报通知", "申报企业须为规上工业企业。"], ["截止日期为2026年4月30日。"]])
    chunks = chunks_of(path)
    assert [(c.locator, c.text) for c in chunks] == [
        ("第1页", "申报企业须为规上工业企业。"),
        ("第2页", "截止日期为2026年4月30日。"),
    ]
    assert chunks[0].heading_path == "申报通知"


def test_html_headings_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "news.html"
    path.write_text(
        "<html><head><title>新闻</title><style>p{}</style></head><body><h2>算力产业</h2>"
        "<p>算力产业入选全省新星产业群。</p><script>var x=1;</script><p>润泽信息港加快建设。</p></body></html>",
        encoding="utf-8",
    )
    chunks = chunks_of(path)
    assert [(c.locator, c.heading_path, c.text) for c in chunks] == [
        ("第1–2段", "算力产业", "算力产业入选全省新星产业群。\n润泽信息港加快建设。")
    ]
    assert chunks[0].title == "新闻"


def test_jsonl_corpus_sources_carry_ids(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    rows = [
        {"id": "a1", "title": "", "text": "成都大运会吉祥物是蓉宝。"},
        {"id": "b2", "title": "标题", "text": "特斯拉2022年交付131万辆。", "date": "2023-01-03"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    chunks = chunks_of(path)
    assert [(c.source, c.text) for c in chunks] == [
        ("kb/corpus.jsonl#a1", "成都大运会吉祥物是蓉宝。"),
        ("kb/corpus.jsonl#b2", "特斯拉2022年交付131万辆。"),
    ]
    assert chunks[1].doc_date == "2023-01-03" and chunks[1].title == "标题"


def test_sentences_never_cut_and_chunks_bounded(tmp_path: Path) -> None:
    sentence = "全年开工建设新项目356项，完成年度计划的120%。"
    path = tmp_path / "长文.md"
    path.write_text("# 长文\n\n" + sentence * 30 + "\n", encoding="utf-8")
    chunks = chunks_of(path, max_chars=100)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 100
        assert c.text.replace(sentence, "") == ""


def test_future_tense_sets_document_year(tmp_path: Path) -> None:
    path = tmp_path / "无日期.md"
    path.write_text("去年全市新增小巨人企业3家。\n\n2026年，我们将继续扩容培育库。\n", encoding="utf-8")
    doc = load(path, "kb/无日期.md")[0]
    assert doc.date == "2026"
    assert "2025年全市新增小巨人企业3家" in chunk_document(doc, 240)[0].index_text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "文件为空"),
        ("binary.txt", b"\x00\x01\x02PK\x00\x00" * 20, "不是文本文件"),
        ("bad.pdf", b"%PDF-1.4 not really a pdf", "PDF 文件"),
        ("bad.docx", b"this is not a zip", "Word 文件"),
        ("bad.xlsx", b"this is not a zip either", "Excel 文件"),
        ("notes.xyz", b"hello", "不支持的文件类型 .xyz"),
    ],
)
def test_bad_inputs_raise_chinese_reasons(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load(path, f"kb/{name}")


def test_unreadable_file(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "missing.txt")
    with pytest.raises(LoadError, match="无法读取"):
        load(link, "kb/gone.txt")


def test_xlsx_two_level_header(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "镇街道"
    sheet.append(["各镇街道规上工业产值"])
    sheet.merge_cells("A1:C1")
    sheet.append(["单位：亿元"])
    sheet.append(["镇街道", "规上工业产值", None])
    sheet.merge_cells("B3:C3")
    sheet.append([None, "2024年", "2025年"])
    sheet.append(["当湖街道", 100.5, 110.25])
    path = tmp_path / "镇街道.xlsx"
    book.save(path)
    records = [(c.locator, c.record.fact) for c in chunks_of(path) if c.record]
    assert records == [
        ("镇街道!B5", "2024年当湖街道规上工业产值为100.5亿元"),
        ("镇街道!C5", "2025年当湖街道规上工业产值为110.25亿元"),
    ]


def _broken_xml(src: Path, dst: Path, member: str) -> Path:
    """A copy of an Office file whose `member` XML is cut in half (a zip that opens, XML that does not)."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            body = zin.read(name)
            zout.writestr(name, body[: len(body) // 2] if name == member else body)
    return dst


def test_one_run_skips_each_malformed_file_and_applies_deletions(tmp_path: Path, settings) -> None:
    import os

    from ingest.index import run_ingest

    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "好.md").write_text("# 好文章\n\n全市新增专精特新企业17家。\n", encoding="utf-8")
    (kb / "articles" / "旧.md").write_text("# 旧文章\n\n旧文章里的数字是42家。\n", encoding="utf-8")
    run_ingest([kb], settings)
    (kb / "articles" / "旧.md").unlink()
    _broken_xml(write_docx(tmp_path / "d.docx", [("Normal", "正文。")]), kb / "articles" / "坏.docx", "word/document.xml")
    _broken_xml(write_xlsx(tmp_path / "x.xlsx"), kb / "articles" / "坏.xlsx", "xl/worksheets/sheet1.xml")
    (kb / "articles" / "长格.csv").write_text("指标,值\n营收," + "很" * (140 * 1024) + "\n", encoding="utf-8")
    (kb / "articles" / "深.jsonl").write_text('{"id": "1", "text": "完好的一行。"}\n' + "[" * 100_000 + "\n", encoding="utf-8")
    os.mkfifo(kb / "articles" / "管道.txt")
    (kb / "articles" / os.fsdecode("名单".encode("gbk") + b".txt")).write_text("名单。", encoding="utf-8")
    summary = run_ingest([kb], settings)
    reasons = {s["path"]: s["reason"] for s in summary.skipped}
    assert summary.files_read == 2 and summary.files_skipped == 5, reasons
    assert "无法解析 坏.docx（XMLSyntaxError）" in reasons["kb/articles/坏.docx"]
    assert "坏.xlsx" in reasons["kb/articles/坏.xlsx"] and "已损坏" in reasons["kb/articles/坏.xlsx"]
    assert "第2行有单元格超过 128 KB" in reasons["kb/articles/长格.csv"]
    assert "第2行嵌套层数过深" in reasons["kb/articles/深.jsonl#第2行"]
    assert "命名管道" in reasons["kb/articles/管道.txt"]
    assert "不是 UTF-8 编码" in reasons["kb/articles/名单.txt"]
    assert summary.chunks_removed == 1  # 旧.md's chunk, deleted in the same run


def test_bad_jsonl_line_skips_only_that_line(tmp_path: Path) -> None:
    path = tmp_path / "语料.jsonl"
    path.write_text('{"id": "a", "text": "第一条记录。"}\n{"id": "b", "text": 未加引号}\n{"id": "c", "text": "第三条记录。"}\n', encoding="utf-8")
    problems: list[dict[str, str]] = []
    docs = load(path, "kb/语料.jsonl", problems)
    assert [d.source for d in docs] == ["kb/语料.jsonl#a", "kb/语料.jsonl#c"]
    assert problems == [{"path": "kb/语料.jsonl#第2行", "reason": "语料.jsonl 第2行不是含 id 和 text 字段的 JSON 对象，已跳过这一行；其余各行照常编入。"}]


@pytest.mark.parametrize("encoding", ["big5", "utf-16-le", "utf-16-be", "gbk", "utf-8", "gb18030"])
def test_encodings_detected(encoding: str) -> None:
    text = "經濟和資訊化局發布年度報告，規模以上工業產值增長7.2%。\n第二行\n" if encoding == "big5" else "经信局发布年度报告，规上工业产值增长7.2%。\n第二行\n"
    assert decode(text.encode(encoding), "a.txt") == text


def test_utf16_without_ascii_or_bom() -> None:
    assert decode("数控机床产业集群".encode("utf-16-le"), "a.txt") == "数控机床产业集群"


def test_short_fact_lines_without_full_stop_are_chunked(tmp_path: Path) -> None:
    path = tmp_path / "要点.txt"
    path.write_text("年度要点\n人工智能产业营收143.79亿元\n数字经济核心产业增长12%\n新增小巨人企业3家\n", encoding="utf-8")
    assert [c.text for c in chunks_of(path)] == ["人工智能产业营收143.79亿元\n数字经济核心产业增长12%\n新增小巨人企业3家"]


def test_long_lines_without_full_stop_stay_within_chunk_size(tmp_path: Path) -> None:
    line = "全市规上工业企业数字化改造覆盖率达到百分之八十以上并建成省级智能工厂和数字化车间共计123456家"
    path = tmp_path / "长行.txt"
    path.write_text("标题\n" + (line + "\n") * 8, encoding="utf-8")
    chunks = chunks_of(path, max_chars=100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks) == line * 8 and all("123456" in c.text or "123" not in c.text for c in chunks)


def test_formula_cells_without_cached_value_are_reported(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "汇总"
    sheet.append(["产业", "营收（亿元）"])
    sheet.append(["人工智能产业", 143.79])
    sheet.append(["合计", "=SUM(B2:B2)"])  # written by a script: no cached result in the file
    path = tmp_path / "公式.xlsx"
    book.save(path)
    problems: list[dict[str, str]] = []
    facts = [c.record.fact for d in load(path, "kb/公式.xlsx", problems) for c in chunk_document(d, 240) if c.record]
    assert facts == ["人工智能产业营收为143.79亿元"]
    assert problems == [{
        "path": "kb/公式.xlsx",
        "reason": "公式.xlsx 中有 1 个公式单元格没有计算结果（汇总!B3），这些单元格未编入；请在 Excel/WPS 中打开并保存后重新上传。",
    }]


def test_rejected_upload_is_not_kept(tmp_path: Path) -> None:
    import io
    import zipfile

    from app.library import save_upload

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z, z.open("word/document.xml", "w") as fh:
        for _ in range(120):
            fh.write(b"a" * 1024 * 1024)
    kb = tmp_path / "kb"
    with pytest.raises(LoadError, match="解压后有 120 MB"):
        save_upload(kb, "政策文件", "炸弹.docx", bomb.getvalue(), 20)
    assert not any(p.is_file() for p in kb.rglob("*")) if kb.exists() else True
    assert save_upload(kb, "文章", "好.md", "# 好\n\n正文。".encode(), 20).read_text(encoding="utf-8") == "# 好\n\n正文。"


def test_date_line_before_a_chapter_heading_is_kept(tmp_path: Path) -> None:
    """A short label line ('发文日期：…') right before a chapter heading has no body of its own: taken for a
    heading it was dropped, and '哪天发文的' had nothing to cite."""
    path = write_docx(
        tmp_path / "扶持办法.docx",
        [
            ("Title", "园区企业扶持办法"),
            ("Normal", "发文日期：2026年5月8日"),
            ("Heading 1", "第一章 总则"),
            ("Normal", "第一条 为支持园区企业发展，制定本办法。"),
        ],
    )
    texts = [c.text for c in chunks_of(path)]
    assert any("发文日期：2026年5月8日" in t for t in texts), texts


def test_document_number_line_is_text_not_heading(tmp_path: Path) -> None:
    """A 文号 on a line of its own is short and has no closing mark, so it read as a heading: it was then in
    no chunk's text, and '这份办法的文号是多少' had nothing to cite."""
    path = tmp_path / "补贴办法.md"
    path.write_text(
        "# 园区物流补贴办法\n\n园发〔2026〕7号\n\n第一条 为降低企业物流成本，制定本办法。\n\n第二条 本办法自2026年6月1日起施行。\n",
        encoding="utf-8",
    )
    chunks = chunks_of(path)
    assert any("园发〔2026〕7号" in c.text for c in chunks), [(c.heading_path, c.text) for c in chunks]
    assert all("园发" not in c.heading_path for c in chunks)
