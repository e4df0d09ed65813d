"""Golden questions over a tiny fixture KB (real jieba, real Chroma, real files), refusals, follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer import Assistant
from app.settings import Settings
from ingest.index import run_ingest


@pytest.fixture
def assistant(tiny_kb: Path, settings: Settings) -> Assistant:
    run_ingest([tiny_kb], settings)
    return Assistant(settings)


@pytest.mark.parametrize(
    ("question", "must", "source"),
    [
        ("2025年人工智能产业规上营收是多少", ["143.79亿元"], None),
        ("去年AI产业营收同比增长多少？", ["45.30%"], None),
        ("机器人与数控机床产业集群1-11月营收增速是多少？", ["28.1%"], "kb/articles/2025年回顾.md"),
        ("2025年新增了几家国家级重点小巨人企业？", ["3家"], "kb/articles/2025年回顾.md"),
        ("经信局局长是谁？", ["李明远"], "kb/articles/2025年回顾.md"),
        ("获得年度领航企业称号的有哪些企业？", ["青禾科技", "蓝湾智能", "远帆数据"], "kb/articles/2025年回顾.md"),
        ("2026年AI产业有什么工作安排？", ["算力集群"], "kb/articles/2026年计划.md"),  # no document says 安排
    ],
)
def test_golden_questions(assistant: Assistant, question: str, must: list[str], source: str | None) -> None:
    answer = assistant.ask(question)
    assert answer.answerable and answer.mode == "extractive" and len(answer.answer) <= 200
    quotes = " ".join(c.quote for c in answer.citations)
    for text in must:
        assert text in answer.answer and text in quotes
    for c in answer.citations:
        chunk = next(x for x in assistant.store.chunks if x.id == c.chunk_id)
        assert c.quote in chunk.text and f"[{c.n}]" in answer.answer
    if source:
        assert answer.citations[0].source == source


def test_indicator_record_is_cited_by_cell(assistant: Assistant) -> None:
    answer = assistant.ask("数字经济核心产业规上营收是多少")
    assert "88.50亿元" in answer.answer
    assert answer.citations[0].locator == "产业集群!B5" and answer.records[0].value == "88.50"


@pytest.mark.parametrize(
    "question",
    [
        "2025年平湖市GDP是多少？",
        "2024年人工智能产业规上营收是多少",
        "2025年外贸出口额是多少",
        "月球上有多少家小巨人企业",
        "2025年集成电路产业规上营收是多少",  # other industries' 营收 figures are there: never one of theirs
    ],
)
def test_refusals(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.answerable and answer.answer.startswith("知识库中未找到")
    assert answer.citations == () and answer.related


def test_headings_question_lists_the_items(assistant: Assistant) -> None:
    answer = assistant.ask("2026年有哪些重点工作？")
    assert answer.answerable
    for item in ("壮大人工智能产业", "强化企业培育", "深化两化改造"):
        assert item in answer.answer


def test_followup_carries_entity_and_period(assistant: Assistant) -> None:
    history = [{"role": "user", "content": "2025年人工智能产业规上营收是多少"}, {"role": "assistant", "content": "143.79亿元"}]
    answer = assistant.ask("同比增长多少？", history)
    assert answer.rewritten == "2025年人工智能产业同比增长多少？"
    assert "45.30%" in answer.answer and any("45.30%" in c.quote for c in answer.citations)
    again = assistant.ask("那增速呢？", history)
    assert "45.30%" in again.answer


def test_bad_question_gets_a_chinese_message(assistant: Assistant) -> None:
    assert "请输入问题" in assistant.ask("   ").answer
    assert "问题太长" in assistant.ask("营收" * 400).answer


def test_answer_json_contract(assistant: Assistant) -> None:
    data = assistant.ask("2025年人工智能产业规上营收是多少", qid="q1").to_json()
    assert {"id", "question", "answer", "answerable", "citations", "mode", "elapsed_ms", "verified", "unsupported"} <= set(data)
    assert data["id"] == "q1" and data["mode"] == "extractive" and data["verified"] is True
    assert set(data["citations"][0]) == {"n", "source", "title", "locator", "quote", "chunk_id"}


def test_newer_document_wins_and_says_so(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "two"
    kb.mkdir()
    (kb / "快报.md").write_text("# 快报\n\n发布日期：2025-12-20\n\n2025年全市数字经济核心产业营收为88.0亿元。\n", encoding="utf-8")
    (kb / "年报.md").write_text("# 年报\n\n发布日期：2026-02-01\n\n2025年全市数字经济核心产业营收为90.5亿元。\n", encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("2025年数字经济核心产业营收是多少")
    assert "90.5亿元" in answer.answer and "较早的《快报》" in answer.answer
    assert answer.citations[0].source == "two/年报.md"


def test_two_part_question_with_one_part_missing(assistant: Assistant) -> None:
    """The part the KB knows is answered; the other says which part has no evidence, with no borrowed figure,
    right after the first part's answer (supporting pieces follow both)."""
    answer = assistant.ask("2025年人工智能和集成电路产业规上营收分别是多少")
    assert answer.answerable and "143.79亿元" in answer.answer and "88.50" not in answer.answer
    assert "143.79亿元[1]；“2025年集成电路产业规上营收是多少”在知识库中未找到依据" in answer.answer, answer.answer
