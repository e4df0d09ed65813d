"""The question plan of questions written the way staff ask them over our own documents (bench/kb_dev.jsonl
h69-h115): two questions in one line, and a count of '规上企业'. Real jieba, real Chroma in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer import Assistant
from app.facets import sub_questions
from app.query import analyze
from app.settings import Settings
from tests.conftest import index_rows


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # the later clause names no subject: it takes what the first asks about (no question word, measure, predicate)
        ("青山区纺织行业产值是多少，在全市排第几？", ["青山区纺织行业产值是多少", "青山区纺织行业产值在全市排第几"]),
        ("2024年有多少家企业迁入园区？新增税收多少？", ["2024年有多少家企业迁入园区", "2024年企业迁入园区新增税收多少"]),
        ("白水镇签约了多少个项目？总投资多少？", ["白水镇签约了多少个项目", "白水镇项目总投资多少"]),
        # after 什么 the words name the kind of answer, not the topic
        ("《远山》是什么题材的小说？它的作者是谁？", ["《远山》是什么题材的小说", "《远山》它的作者是谁"]),
        ("青山区工业产值是多少，同比增长多少，占全市比重多少？",
         ["青山区工业产值是多少", "青山区工业产值同比增长多少", "青山区工业产值占全市比重多少"]),
        # 何时 asks though jieba tags it a conjunction
        ("东湖光伏电站何时开工，总投资多少？", ["东湖光伏电站何时开工", "东湖光伏电站开工总投资多少"]),
        # one question word: one question, whatever clause comes before it
        ("根据通知，申报截止日期是哪天？", []),
        ("青山区有多少家规上企业？", []),
        # a word that only starts like a question word asks nothing
        ("青山区工业产值几乎翻倍，增长了多少？", []),
        # a surname, a word of its own and an approximate number only start like a question word
        ("何晓明出席了推进会，会上部署了什么？", []),
        ("全区有几百家企业参与，涉及多少资金？", []),
        ("几何建模软件由谁研发，售价是多少？", ["几何建模软件由谁研发", "几何建模软件研发售价是多少"]),
        # a first clause that is all question lends the words that name its subject
        ("什么是专精特新企业，有哪些扶持政策？", ["什么是专精特新企业", "专精特新企业有哪些扶持政策"]),
        ("什么是技改补助，申报条件是什么？", ["什么是技改补助", "技改补助申报条件是什么"]),
    ],
)
def test_two_questions_in_one_line_are_asked_one_by_one(question: str, parts: list[str]) -> None:
    assert sub_questions(question) == parts


def test_a_measure_after_a_question_word_stays_a_measure() -> None:
    """'多少家规上企业': jieba glued the measure to the counted noun ('家规', a word of its own), so the
    question's topic lost 规上 and gained a word no document about enterprises holds."""
    plan = analyze("青山区有多少家规上企业？")
    assert "家规" not in plan.tokens and "家规" not in plan.content
    assert "企业" in plan.content


def test_a_noun_that_starts_like_a_measure_keeps_its_first_character() -> None:
    """The measure characters were read off the measure list's regex source, so 少 and 多 counted as
    measures: '多少少数民族企业' was cut after its first 少 and the topic became 数 + 民族."""
    plan = analyze("全区有多少少数民族企业？")
    assert "少数民族" in plan.content and "数" not in plan.content


ROWS = [
    {"id": "output", "title": "青山区2025年纺织行业运行情况", "date": "2026-01-20",
     "text": "2025年，青山区纺织行业完成产值86.4亿元，比上年增长3.2%。行业内规上企业达到41家。"},
    {"id": "rank", "title": "2025年全市各区县纺织行业比较", "date": "2026-02-03",
     "text": "从全市看，青山区纺织行业产值在全市排第二，仅次于白水县。白水县纺织行业产值在全市排第一。"},
    {"id": "other", "title": "青山区2025年服务业运行情况", "date": "2026-01-22",
     "text": "2025年，青山区服务业增加值为120.5亿元，同比增长5.1%。"},
]


def test_two_questions_in_one_line_get_both_answers(tmp_path: Path, settings: Settings) -> None:
    """The output and the rank stand in two documents: asked as one question, the answer led with one of
    them and left the other out."""
    index_rows(tmp_path / "notes.jsonl", ROWS, settings)
    answer = Assistant(settings).ask("青山区纺织行业产值是多少，在全市排第几？")
    assert answer.answerable, answer.answer
    assert "86.4亿元" in answer.answer and "第二" in answer.answer, answer.answer


def test_the_year_of_a_document_number_is_no_period() -> None:
    """'青经信〔2024〕3号文件哪天废止': 2024 names the document; read as the asked year, every candidate
    had to say 2024, and the sentence of the newer rule that repeals it (dated 2026) was none."""
    assert analyze("青经信〔2024〕3号文件哪天废止？").years == ()
    assert analyze("2025年青经信〔2024〕3号文件执行情况如何？").years == ("2025",)



def test_a_question_word_glued_to_its_measure_is_no_content_word() -> None:
    """'哪几级' is cut 哪 + 几级, '哪部' starts inside '在哪': those tokens count what is asked, and as
    content words (the index never holds 几级) they weighed like the rarest topic word and the right
    passage was refused."""
    assert "几级" not in analyze("青山市人才梯队分为哪几级？").content
    assert "几门" not in analyze("他精通哪几门外语？").content
    assert "几何" in analyze("几何课程由谁讲授？").content  # a word that only starts like one stays
