"""A list question that names a section's heading is answered by that section's items (app/sections.py):
real files, real jieba, real Chroma in tmp_path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.answer import Assistant
from app.evaluate import pieces
from app.section_items import _lines
from app.sections import names_heading
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import write_docx

PLAN = """2027年县科技工作要点（测试）

发布日期：2027-01-10

2027年，县科技局围绕创新驱动抓好下面四件事。

一、培育科技型企业梯队
新认定高新技术企业四十家，建立科技型中小企业后备库，对研发投入增长快的企业给予奖励。

二、建设创新载体平台
推进湖畔实验室二期建设，新建省级企业研究院三家，支持孵化器扩大场地。

三、加速科技成果转化
举办技术交易对接会六场，推广首购首用清单，落实技术合同登记补助。对高校院所来县转化的成果，按技术合同成交额给予奖励。组建成果转化服务联盟，为企业提供中试验证服务。

四、优化科技人才服务
引进领军人才团队五个，开通人才服务专线，完善人才公寓配套。
"""


@pytest.fixture
def assistant(tmp_path: Path, settings: Settings) -> Assistant:
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "2027年科技工作要点.txt").write_text(PLAN, encoding="utf-8")
    small = replace(settings, chunk_chars=80)  # the third section takes two chunks
    run_ingest([kb], small)
    return Assistant(small)


def test_a_named_section_gives_its_items_not_its_siblings(assistant: Assistant) -> None:
    # '包括哪些工作' asks for the headings of a plan's sections; naming one of them asks for what it holds
    answer = assistant.ask("2027年建设创新载体平台包括哪些工作？")
    assert answer.answerable
    assert answer.answer.startswith("二、建设创新载体平台：")
    for item in ("湖畔实验室", "省级企业研究院", "孵化器"):
        assert item in answer.answer
    assert "优化科技人才服务" not in answer.answer and len(answer.answer) <= 200


def test_a_long_section_gives_the_items_of_all_its_chunks(assistant: Assistant) -> None:
    chunks = [c for c in assistant.store.chunks if c.heading_path.endswith("加速科技成果转化")]
    assert len(chunks) == 2
    answer = assistant.ask("加速科技成果转化要做哪几件事？")
    assert answer.answerable and len(answer.answer) <= 200
    assert answer.answer.startswith("三、加速科技成果转化：")
    for item in ("技术交易对接会", "首购首用", "成果转化服务联盟"):
        assert item in answer.answer
    assert [c.chunk_id for c in answer.citations] == [c.id for c in chunks]
    assert answer.answer.endswith("[1][2]。")  # the list is one cited piece, its sources' markers together
    assert pieces(answer.answer)[0] == answer.answer[:-len("[1][2]。")]


REVIEW = """2026年县科技工作回顾（测试）

发布日期：2027-01-05

一、科技成果转化
2026年，全县举办技术交易对接会四场，登记技术合同两百余项。

二、科技人才引育
2026年，全县引进高层次人才团队三个，新建人才驿站两家。
"""


def test_a_section_of_another_year_is_no_answer(tmp_path: Path, settings: Settings) -> None:
    # a review dated 2027 whose sections state 2026: its section is no answer to a question about 2027
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "2026年科技工作回顾.txt").write_text(REVIEW, encoding="utf-8")
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    assert "对接会四场" in assistant.ask("2026年科技成果转化有哪些成绩？").answer
    assert "对接会四场" not in assistant.ask("2027年科技成果转化有哪些安排？").answer


def test_a_sentence_announcing_sections_is_answered_by_their_headings(assistant: Assistant) -> None:
    # '…抓好下面四件事。' ends the preamble; the four things are the sections after it
    answer = assistant.ask("2027年县科技局要做好哪几件事？")
    assert answer.answerable and answer.answer.startswith("共4项：")
    for heading in ("培育科技型企业梯队", "建设创新载体平台", "加速科技成果转化", "优化科技人才服务"):
        assert heading in pieces(answer.answer)[0]  # every heading in the first cited piece


def test_a_question_naming_no_section_still_lists_the_headings(assistant: Assistant) -> None:
    answer = assistant.ask("2027年科技工作有哪些重点任务？")
    assert answer.answerable
    for heading in ("培育科技型企业梯队", "建设创新载体平台", "加速科技成果转化", "优化科技人才服务"):
        assert heading in answer.answer


@pytest.mark.parametrize(
    ("question", "heading", "named"),
    [
        ("2027年建设创新载体平台包括哪些工作？", "二、建设创新载体平台", True),
        ("创新载体平台建设有哪些内容？", "二、建设创新载体平台", True),  # its words in another order
        ("“两化”改造有哪些安排？", "六、深化两化改造", False),  # 深化 is not in the question
        ("科技人才有哪些？", "四、优化科技人才服务", False),  # 服务 (a nominal verb) is not in the question
        ("科技成果有哪些安排？", "三、加速科技成果转化", True),  # the heading's verbs may be left out
        ("局里有哪些人物？", "人物", False),  # too short to be named
        ("若干措施适用于哪些企业？", "第二章 支持措施", False),  # without its verb, a bare 措施 names nothing
        ("若干措施有哪些支持措施？", "第二章 支持措施", True),
        ("第三条有哪些规定？", "第三条", False),  # a marker alone names nothing
        ("在招商引资方面做了什么？", "二、招商引资与营商环境", True),  # one of two joined topics
        ("营商有哪些？", "二、招商引资与营商环境", False),  # too short a part
    ],
)
def test_names_heading(question: str, heading: str, named: bool) -> None:
    assert (names_heading(question, heading) or names_heading(question, heading, strict=False)) is named


def test_lines_close_unpunctuated_lines() -> None:
    assert _lines("新建研究院\n支持孵化器。\n  \n引进人才，") == "新建研究院；支持孵化器。引进人才，"


SHEET = "2027年县科技企业指标\n企业类别,2027年新增,单位\n高新技术企业,40,家\n科技型中小企业,120,家\n省级企业研究院,3,家\n"


def test_a_named_sheet_gives_its_rows(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "indicators").mkdir(parents=True)
    (kb / "indicators" / "2027年县科技企业指标.csv").write_text(SHEET, encoding="utf-8")
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    answer = assistant.ask("县科技企业指标里有哪几类企业？")
    assert answer.answerable and len(answer.answer) <= 200
    assert answer.answer.endswith("省级企业研究院[1][2][3]。")  # the rows are one piece, cited by their records
    for n, row in enumerate(("高新技术企业", "科技型中小企业", "省级企业研究院"), start=1):
        assert row in pieces(answer.answer)[0] and row in answer.citations[n - 1].quote
    # a measure named asks the rows' figures, which the ranked records answer
    assert "120" in assistant.ask("县科技企业指标里科技型中小企业新增多少家？").answer


def test_a_named_document_gives_its_parts(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "2026年科技工作回顾.txt").write_text(REVIEW, encoding="utf-8")
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    answer = assistant.ask("2026年县科技工作回顾分为哪几个部分？")
    assert answer.answerable and answer.answer == "共2项：一、科技成果转化；二、科技人才引育[1][2]。"
    # a noun that names no part ('人才驿站') asks for a thing the document speaks of, not for its parts
    assert "共2项" not in assistant.ask("2026年县科技工作回顾提到新建了哪些人才驿站？").answer


RECAP = """2026年县商务工作回顾（测试）

发布日期：2027-01-08

一、外贸稳量提质
2026年，全县外贸进出口总额三百二十亿元，新增外贸实绩企业六十家。

二、招商引资与营商环境
2026年，县商务局组建驻外招商小分队四支，推行重点外资企业“首席服务官”制度，开通涉企问题直通车。
"""


def test_a_question_naming_one_topic_of_a_joined_heading_gets_the_section(tmp_path: Path, settings: Settings) -> None:
    # '招商引资与营商环境' joins two topics; a question about one of them asks what the section holds
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "2026年商务工作回顾.txt").write_text(RECAP, encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("2026年县商务局在招商引资方面有哪些做法？")
    assert answer.answerable and answer.answer.startswith("二、招商引资与营商环境：")
    assert "首席服务官" in answer.answer and "外贸进出口" not in answer.answer


def test_a_table_numbered_only_gives_its_rows_by_its_first_column(tmp_path: Path, settings: Settings) -> None:
    # a docx table's heading is '表1', which no question names; its first column's header says what its rows are
    kb = tmp_path / "kb"
    (kb / "policies").mkdir(parents=True)
    write_docx(kb / "policies" / "县促进跨境电商发展办法.docx",
               [("Title", "县促进跨境电商发展办法（测试）"), ("Normal", "第一条 为培育跨境电商新业态，制定本办法。"),
                ("Normal", "附表 扶持标准一览")],
               [["扶持项目", "扶持金额（万元）", "对应条款"], ["海外仓建设", "80", "第二条"],
                ["独立站推广", "30", "第三条"], ["跨境物流专线", "50", "第四条"]])
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("跨境电商发展办法的附表列了哪些扶持项目？")
    assert answer.answerable and answer.answer.startswith("扶持项目：")
    for row in ("海外仓建设", "独立站推广", "跨境物流专线"):
        assert row in pieces(answer.answer)[0]
