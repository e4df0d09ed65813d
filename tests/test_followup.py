"""Follow-ups over the whole conversation: the asked metric, entity and period are carried, and a follow-up
replaces the part it names. Chains of three on a small KB written here (real jieba, real Chroma)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.answer import Assistant
from app.followup import needs_context, rewrite
from app.settings import Settings
from ingest.index import run_ingest

# Two clusters' figures for 2025, nothing for 2024. The names are not in our user dictionary on purpose.
BRIEF = (
    "# 2025年产业集群运行简报\n\n发布日期：2026-01-20\n\n## 集群运行\n\n"
    "2025年，全市智能装备产业集群实现营收215.4亿元，同比增长28.1%。\n\n"
    "2025年，全市绿色石化产业集群实现营收640.2亿元，同比增长18.1%。\n\n"
    "2025年，全市新材料产业集群实现利润总额12.6亿元。\n"
)
TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def assistant(tmp_path: Path, settings: Settings) -> Assistant:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "集群简报.md").write_text(BRIEF, encoding="utf-8")
    run_ingest([kb], settings)
    return Assistant(settings)


def chat(assistant: Assistant, *questions: str) -> list[tuple[str, str, bool]]:
    """Ask in turn, as the UI does: every earlier message goes along as plain {"role", "content"}."""
    history: list[dict[str, str]] = []
    out = []
    for q in questions:
        answer = assistant.ask(q, history)
        out.append((answer.rewritten, answer.answer, answer.answerable))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": answer.answer}]
    return out


def test_new_entity_keeps_metric_and_period_then_new_metric(assistant: Assistant) -> None:
    """The reported bug: '绿色石化呢？' after the first cluster's growth answered the first cluster's figure."""
    first, second, third = chat(assistant, "2025年智能装备产业集群营收增速是多少？", "绿色石化呢？", "营收呢？")
    assert "28.1%" in first[1]
    assert second[0] == "2025年绿色石化营收增速是多少？"
    assert "18.1%" in second[1] and "28.1%" not in second[1]
    assert third[0] == "2025年绿色石化营收是多少？"  # built on the second's rewritten form, not the first question
    assert "640.2亿元" in third[1] and "215.4" not in third[1]


def test_new_metric_then_new_entity(assistant: Assistant) -> None:
    first, second, third = chat(assistant, "2025年智能装备产业集群营收是多少？", "增速呢？", "那绿色石化的呢？")
    assert "215.4亿元" in first[1]
    assert second[0] == "2025年智能装备产业集群增速是多少？" and "28.1%" in second[1]
    assert third[0] == "2025年绿色石化增速是多少？" and "18.1%" in third[1] and "28.1%" not in third[1]


def test_new_period_is_refused_without_a_figure_for_it(assistant: Assistant) -> None:
    first, second, third = chat(assistant, "2025年绿色石化产业集群营收是多少？", "增速呢？", "那2024年呢？")
    assert "640.2亿元" in first[1]
    assert "18.1%" in second[1]
    assert third[0] == "2024年绿色石化产业集群增速是多少？"
    assert not third[2] and "18.1%" not in third[1] and third[1].startswith("知识库中未找到")


def test_period_swapped_back_after_a_refusal(assistant: Assistant) -> None:
    """A refused turn still moves the conversation: the next follow-up builds on the 2024 question."""
    _, refused, back = chat(assistant, "2025年智能装备产业集群营收是多少？", "那2024年呢？", "2025年呢？")
    assert not refused[2]
    assert back[0] == "2025年智能装备产业集群营收是多少？" and "215.4亿元" in back[1]


def test_standalone_question_resets_the_conversation(assistant: Assistant) -> None:
    _, standalone, followup = chat(assistant, "2025年智能装备产业集群营收是多少？", "2025年新材料产业集群利润总额是多少？", "绿色石化呢？")
    assert standalone[0] == "" and "12.6亿元" in standalone[1]
    assert followup[0].startswith("2025年绿色石化利润")  # the metric of the last standalone question


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # each follow-up names one part; years and month spans by pattern, metrics by the lexicon
        (["光伏组件产业1—11月产值是多少？", "储能电池呢？", "那2024年呢？"], "2024年储能电池1—11月产值是多少？"),
        (["2025年光伏组件产业产值是多少？", "1-6月呢？", "出口呢？"], "2025年1-6月光伏组件产业出口是多少？"),
        (["2025年光伏组件产业产值是多少？", "那它的利润呢？", "同比增长多少？"], "2025年光伏组件产业同比增长多少？"),
        (["2025年光伏组件产业产值是多少？", "去年呢？", "储能电池呢？"], "2025年储能电池产值是多少？"),
        (["2025年新增了几家光伏组件企业？", "储能电池企业呢？", "2024年呢？"], "2024年新增了几家储能电池企业？"),
        (["2025年光伏组件产业产值是多少？", "该产业的利润呢？", "2024年呢？"], "2024年光伏组件产业利润是多少？"),
        # a year without 年, a month span with 月份
        (["2025年光伏组件产业1—11月份产值是多少？", "那2024呢？", "3到5月份呢？"], "2024年光伏组件产业3到5月份产值是多少？"),
    ],
)
def test_rewrite_chains(turns: list[str], expected: str) -> None:
    history = [{"role": role, "content": text} for t in turns[:-1] for role, text in (("user", t), ("assistant", "……"))]
    assert rewrite(turns[-1], history, TODAY) == expected


def test_relative_year_in_a_followup_is_read_against_the_given_date() -> None:
    history = [{"role": "user", "content": "2024年光伏组件产业产值是多少？"}]
    assert rewrite("今年呢？", history, dt.date(2027, 3, 1)) == "2027年光伏组件产业产值是多少？"
    assert rewrite("今年呢？", history, TODAY) == "2026年光伏组件产业产值是多少？"


@pytest.mark.parametrize(
    ("question", "leans"),
    [("绿色石化呢？", True), ("那2024年呢？", True), ("同比增长多少？", True), ("增速是多少", True),
     ("2025年绿色石化产业集群营收是多少？", False), ("营收最高的是哪家", False), ("2026年有哪些重点工作？", False)],
)
def test_which_questions_lean_on_the_conversation(question: str, leans: bool) -> None:
    assert needs_context(question) is leans


def test_no_history_leaves_the_question_alone() -> None:
    assert rewrite("绿色石化呢？", [], TODAY) == "绿色石化呢？"
    assert rewrite("同比增长多少？", [{"role": "assistant", "content": "你好"}], TODAY) == "同比增长多少？"
