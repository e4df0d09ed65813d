"""Which of a question's words ask, and which name its topic: function words and question words glued to a
noun carry no topic; a question word inside an ordinary word ('第一时间') asks nothing. Real jieba."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer import Assistant
from app.query import analyze
from app.settings import Settings
from ingest.index import run_ingest


@pytest.mark.parametrize(
    ("question", "qtype", "asked"),
    [
        # 什么 asks for a 制度: 第一时间 (at once) holds 时间 but asks no date
        ("市应急管理局第一时间启动了什么制度？", "entity", "description"),
        # 时间 is what is asked when the interrogative goes with it, or when no other kind is named
        ("市应急管理局什么时间启动应急响应？", "date", "date"),
        ("应急响应的启动时间是什么？", "date", "description"),
        ("应急预案在何时开始实施？", "date", "date"),
    ],
)
def test_question_word_inside_an_ordinary_word_asks_nothing(question: str, qtype: str, asked: str) -> None:
    plan = analyze(question)
    assert (plan.qtype, plan.asked) == (qtype, asked)


@pytest.mark.parametrize(
    ("question", "topic", "not_topic"),
    [
        ("2026年发展新能源产业要建设哪些项目？", {"新能源", "建设", "项目"}, {"要", "哪些项目"}),
        ("申报企业应当提交哪些材料？", {"申报", "企业", "提交", "材料"}, {"应当"}),
        ("园区对于入驻企业可以给予什么支持？", {"园区", "入驻", "企业", "给予"}, {"对于", "可以"}),
        ("几何课程由谁讲授？", {"几何", "课程", "讲授"}, {"由"}),  # 几何 is tagged a pronoun: pronouns stay
    ],
)
def test_function_words_are_no_topic(question: str, topic: set[str], not_topic: set[str]) -> None:
    content = set(analyze(question).content)
    assert topic <= content and not content & not_topic, content


def test_modal_verb_the_index_never_holds_does_not_refuse(tmp_path: Path, settings: Settings) -> None:
    """'要' is a token no passage holds: weighed like the rarest topic word, the passage that answers looked
    like weak evidence and the question was refused."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "计划.md").write_text(
        "# 2026年新能源产业工作计划\n\n"
        "2026年，发展新能源产业，重点建设光伏电站二期和储能电站配套工程。\n\n"
        "全年新能源产业产值力争突破80亿元，新增规上企业6家。\n", encoding="utf-8")
    (kb / "简报.md").write_text(
        "# 纺织产业简报\n\n2025年纺织产业完成产值45亿元，同比增长3.2%。\n\n纺织产业新增技改项目12个。\n",
        encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("2026年发展新能源产业要建设哪些项目？")
    assert answer.answerable and "光伏电站二期" in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("question", "qtype", "asked", "wants"),
    [
        # 为什么 after a verb that takes 为 ('as'), closing the clause, is 为 + 什么: a name is asked, no reason
        ("这种零件在图纸上称之为什么？", "entity", "description", ""),
        ("合并以后，这所学校更名为什么？", "other", "description", ""),
        ("这是为什么？", "other", "reason", ""),
        # a noun of the asked kind asks only as the head of its word: 标准件 is the topic, no standard is asked
        ("什么是标准件？", "entity", "description", ""),
        # a count's question word with any measure asks a number (jieba glues '几栋' into one numeral)
        ("园区一共建了几栋厂房？", "numeric", "number", ""),
        # 哪几个 asks which ones: a list, not a count
        ("这项政策由哪几个部门联合发布？", "list", "list", ""),
        # 哪 with a number asks which ones, and 有何 is 有什么: both ask a list
        ("园区的产业分为哪三类？", "list", "list", ""),
        ("园区对入驻企业有何扶持政策？", "list", "list", ""),
        # every word that asks a place asks for a place name
        ("这家工厂位于什么地方？", "entity", "place", "ns"),
        ("老厂长是哪儿的人？", "entity", "place", "ns"),
        # '排第' of 排|第几 stands as no word, and 第几 right after it still asks a rank
        ("今年产值在全省排第几？", "rank", "rank", ""),
    ],
)
def test_question_words_stand_as_words(question: str, qtype: str, asked: str, wants: str) -> None:
    plan = analyze(question)
    assert (plan.qtype, plan.asked, plan.wants) == (qtype, asked, wants)


def test_a_count_word_names_no_topic() -> None:
    """'几栋' asks the count: as a content word it had the idf of a word no passage holds."""
    assert "几栋" not in analyze("园区一共建了几栋厂房？").content
