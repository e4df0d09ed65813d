"""Saved conversations, feedback and the gap report over a real SQLite file in tmp_path."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from app.conversations import History, export_markdown, history_path
from app.errors import ConfigError, KBQAError
from app.gaps import DISLIKED, REFUSED, UNVERIFIED, events, group, rows, to_csv, weekly
from app.schema import Answer, Citation
from app.settings import Settings, from_env

DAY = 86_400.0
T0 = dt.datetime(2026, 3, 2, 10, 0).timestamp()  # a Monday


def answer(question: str, n: int, answerable: bool = True, verified: bool = True, mode: str = "extractive") -> Answer:
    cite = Citation(1, "kb/articles/回顾.md", "回顾", "第2段", "全市集成电路产业产值为61.2亿元。", "c1")
    return Answer(f"a{n}", question, "集成电路产业产值为61.2亿元[1]。" if answerable else "知识库中未找到相关内容。",
                  answerable, (cite,) if answerable else (), mode, 12.0, verified=verified,
                  unsupported=() if verified else ("70亿元",))


def test_conversations_are_per_owner_newest_first_and_reopen(tmp_path: Path) -> None:
    h = History(tmp_path / "h.sqlite3", now=T0)
    first = h.add_turn("browser:甲", None, answer("2025年集成电路产业产值是多少", 1), now=T0)
    assert first is not None
    assert h.add_turn("browser:甲", first, answer("同比增长多少？", 2), now=T0 + 60) == first
    second = h.add_turn("browser:甲", None, answer("领航企业有哪些", 3), now=T0 + 120)
    h.add_turn("browser:乙", None, answer("乙的问题", 4), now=T0 + 180)
    listed = History(tmp_path / "h.sqlite3", now=T0).conversations("browser:甲")  # a second opening: another session
    assert [(c.id, c.title, c.turns) for c in listed] == [(second, "领航企业有哪些", 1), (first, "2025年集成电路产业产值是多少", 2)]
    reopened = h.answers("browser:甲", first)
    assert [a.question for a in reopened] == ["2025年集成电路产业产值是多少", "同比增长多少？"]
    assert reopened[0].citations[0].quote == "全市集成电路产业产值为61.2亿元。"
    assert h.answers("browser:乙", first) == []  # another browser cannot open it by id
    h.delete("browser:乙", first)
    h.rename("browser:乙", first, "改名")
    assert h.conversations("browser:甲")[1].title == "2025年集成电路产业产值是多少"
    h.rename("browser:甲", first, "  集成电路\n产值 ")
    assert h.conversations("browser:甲")[1].title == "集成电路 产值"
    with pytest.raises(KBQAError, match="不能为空"):
        h.rename("browser:甲", first, "   ")
    h.delete("browser:甲", first)
    assert [c.id for c in h.conversations("browser:甲")] == [second]


def test_retention_deletes_old_conversations_feedback_and_log(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    h = History(path, retention_days=30, now=T0)
    old = answer("旧问题", 1, answerable=False)
    h.add_turn("u", None, old, now=T0)
    h.record_feedback("u", old, 0, now=T0)
    h.add_turn("u", None, answer("新问题", 2), now=T0 + 20 * DAY)
    History(path, retention_days=30, now=T0 + 40 * DAY)
    assert [c.title for c in h.conversations("u")] == ["新问题"]
    assert h.feedback_rows() == [] and [r["question"] for r in h.asked_rows()] == ["新问题"]
    with pytest.raises(ConfigError, match="KBQA_RETENTION_DAYS"):
        from_env({"KBQA_RETENTION_DAYS": "0"})


def test_without_leave_to_store_questions_nothing_asked_is_kept(tmp_path: Path) -> None:
    settings = from_env({"KBQA_STORE_QUESTIONS": "false", "KBQA_INDEX_DIR": str(tmp_path / "index")})
    h = History.of(settings)
    assert history_path(settings) == tmp_path / "index-history.sqlite3"
    a = answer("不该被记下的问题", 1)
    assert h.add_turn("u", None, a) is None
    h.record_feedback("u", a, 0, "不准")
    assert h.conversations("u") == [] and h.asked_rows() == []
    [row] = h.feedback_rows()
    assert (row["question"], row["answer"], row["comment"], row["mode"]) == ("", "", "不准", "extractive")
    assert row["citations"] == [{"n": 1, "source": "kb/articles/回顾.md", "locator": "第2段"}]


def test_feedback_keeps_question_answer_citations_and_mode(tmp_path: Path) -> None:
    h = History(tmp_path / "h.sqlite3", now=T0)
    a = answer("2025年集成电路产业产值是多少", 1)
    h.record_feedback("u", a, 1)
    h.record_feedback("u", a, 0, "数字是去年的")  # a changed mind replaces the vote
    [row] = h.feedback_rows()
    assert (row["score"], row["comment"], row["question"], row["mode"]) == (0, "数字是去年的", a.question, "extractive")
    assert row["answer"] == a.answer and row["citations"][0]["quote"] == "全市集成电路产业产值为61.2亿元。"
    with pytest.raises(KBQAError):
        h.record_feedback("u", a, 5)


def test_gap_report_groups_alike_questions_counts_weeks_and_exports_csv(tmp_path: Path) -> None:
    h = History(tmp_path / "h.sqlite3", now=T0)
    h.add_turn("u", None, answer("2025年平湖市GDP是多少", 1, answerable=False), now=T0)
    h.add_turn("v", None, answer("平湖市2025年GDP是多少？", 2, answerable=False), now=T0 + 8 * DAY)
    h.add_turn("v", None, answer("平湖市2025年GDP是多少？", 2, answerable=False), now=T0 + 8 * DAY)  # asked again: counted again
    h.add_turn("u", None, answer("新材料产业有多少家企业", 3, verified=False, mode="llm"), now=T0 + DAY)
    h.add_turn("u", None, answer("集成电路产业产值是多少", 4), now=T0 + DAY)  # answered and verified: no gap
    disliked = answer("=HYPERLINK(\"x\") 光伏补贴标准", 5)
    h.record_feedback("u", disliked, 0, "标准已更新", now=T0 + 2 * DAY)
    found = events(h)
    assert sorted(e.kind for e in found) == sorted([REFUSED, REFUSED, REFUSED, UNVERIFIED, DISLIKED])
    gaps = group(found)
    assert (gaps[0].count, dict(gaps[0].kinds)) == (3, {REFUSED: 3})
    table = rows(gaps)
    assert table[0]["各周次数"] == "2026-W10：1；2026-W11：2" and table[0]["相似问法"] == "2025年平湖市GDP是多少"
    assert {r["问题"] for r in table[1:]} == {"新材料产业有多少家企业", disliked.question}
    assert next(r for r in table if r["差评"])["读者意见"] == "标准已更新"
    assert weekly(found) == [{"周": "2026-W10", REFUSED: 1, DISLIKED: 1, UNVERIFIED: 1},
                             {"周": "2026-W11", REFUSED: 2, DISLIKED: 0, UNVERIFIED: 0}]
    data = to_csv(table)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0]["次数"] == "3" and any(r["问题"].startswith("'=HYPERLINK") for r in parsed)


def test_export_markdown_has_every_answer_with_sources(settings: Settings) -> None:
    text = export_markdown("集成电路[链接](http://x.cn)", [answer("产值是多少", 1), answer("增长呢", 2)])
    assert text.count("**来源：**") == 2 and "全市集成电路产业产值为61.2亿元" in text
    assert "](" not in text  # a title cannot become a link in a Markdown viewer


def test_csv_leaves_empty_cells_empty_and_neutralises_formulas() -> None:
    text = to_csv([{"问题": "=HYPERLINK(1)", "读者意见": ""}]).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=HYPERLINK(1),"
