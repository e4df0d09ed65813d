"""Splitting a question into parts (app/facets.py sub_questions) and joining the parts' answers (app/answer.py):
one split rule, and never the same clause twice across parts. Real jieba, a real index in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer import Assistant, combine, repeats_evidence
from app.choose import Extracted
from app.facets import sub_questions
from app.schema import Citation
from app.settings import Settings
from ingest.index import run_ingest


@pytest.mark.parametrize(
    "question",
    [
        # 、 enumerates inside one noun phrase or lists conditions: one question
        "青山区对迟到、早退的职工如何处理？",
        "白水县各街道、乡镇如何开展安全检查？",  # 各 before a noun picks out units, it asks for no parts
        # a list, a way or a reason about 'A和B' is answered by one passage
        "青山市对规上企业和小微企业有哪些扶持政策？",
        "青山市如何做好招商和安商工作？",
        "为什么茶叶和蚕丝的出口受到限制？",
        # '的分别' is a difference, not 'each'
        "甲型与乙型茶树病的分别是什么？",
        # a localizer makes the two terms one span: 'A之间' asks nothing
        "青山桥和白水桥之间的距离是多少？",
    ],
)
def test_no_split_without_parts_to_ask(question: str) -> None:
    assert sub_questions(question) == []


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # a value per part (a figure, a date, a name) still splits at 和
        ("2025年青山区和白水县规上工业增加值是多少", ["2025年青山区规上工业增加值是多少", "2025年白水县规上工业增加值是多少"]),
        # 各 before a verb asks for each part, so 、 splits too
        ("青山区、白水县的工业增加值各增长了多少", ["青山区的工业增加值各增长了多少", "白水县的工业增加值各增长了多少"]),
        # a list asked for each part splits
        ("青山市茶叶和蚕丝产业分别有哪些龙头企业", ["青山市茶叶产业有哪些龙头企业", "青山市蚕丝产业有哪些龙头企业"]),
        # a term never ends on its modifier ('首次'): the noun it modifies belongs to it, not to both parts
        ("平湖市企业服务中心揭牌仪式及首次座谈会的时间", ["平湖市企业服务中心揭牌仪式的时间", "平湖市企业服务中心首次座谈会的时间"]),
    ],
)
def test_split_when_each_part_is_asked(question: str, parts: list[str]) -> None:
    assert sub_questions(question) == parts


def cite(n: int, chunk: str, quote: str) -> Citation:
    return Citation(n=n, source="a.md", title="甲", locator="第1段", quote=quote, chunk_id=chunk)


def test_repeated_clause_across_parts_is_found() -> None:
    """Two parts quoting one chunk's clause would print it twice; other clauses of one chunk, or one clause
    in two chunks, are no repeat."""
    same = "青山市茶叶和蚕丝产业均分为三个等级"
    one = Extracted(f"{same}[1]。", True, (cite(1, "c1", f"{same}，特级最高。"),))
    two = Extracted(f"{same}[1]。", True, (cite(1, "c1", f"{same}。"),))
    assert repeats_evidence([one, two])
    other_clause = Extracted("蚕丝产值为8亿元[1]。", True, (cite(1, "c1", "蚕丝产值为8亿元。"),))
    assert not repeats_evidence([one, other_clause])
    other_chunk = Extracted(f"{same}[1]。", True, (cite(1, "c2", f"{same}。"),))
    assert not repeats_evidence([one, other_chunk])
    refused = Extracted(f"{same}[1]。", False, (cite(1, "c1", f"{same}。"),))
    assert not repeats_evidence([one, refused])
    assert combine([one, other_clause], ["茶叶？", "蚕丝？"]).text.count(same) == 1


def test_parts_sharing_only_a_supporting_clause_are_no_repeat() -> None:
    """Each part leads with its own passage; a supporting piece of one quoting a clause of the other's lead
    (a dateline both pages carry) is no passage stating what both ask, so the parts are kept."""
    dateline = "发布时间：2025-12-29 10:30 来源：平湖日报"
    opening = Extracted("揭牌仪式于1月3日举行[1]。", True, (cite(1, "c1", f"{dateline} 揭牌仪式于1月3日上午举行。"),))
    meeting = Extracted("首次座谈会于1月12日举行[1]；发布时间[2]。", True,
                        (cite(1, "c2", "首次座谈会于1月12日在三楼会议室举行。"), cite(2, "c1", f"{dateline} 揭牌仪式于1月3日上午举行。")))
    assert not repeats_evidence([opening, meeting])
    assert repeats_evidence([meeting, Extracted("x[1]。", True, (cite(1, "c2", "首次座谈会于1月12日在三楼会议室举行。"),))])


def test_parts_citing_one_clause_are_answered_once(tmp_path: Path, settings: Settings) -> None:
    """Both parts of '茶叶和蚕丝产业…' find the one sentence that names both: the answer says it once, with
    the whole budget, not 'X[1]；X[2]'."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "特色产业.md").write_text(
        "# 青山市特色产业\n\n"
        "青山市的茶叶和蚕丝产业均有龙头企业七家，带动农户一万二千户。\n\n"
        "青山市地处丘陵，年平均气温十六摄氏度，雨量充沛，适宜种植。\n\n"
        "全市建成标准化厂房二十万平方米，工业园区三个。\n",
        encoding="utf-8",
    )
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    question = "青山市茶叶和蚕丝产业的龙头企业有多少家？"
    assert len(sub_questions(question)) == 2  # asked in parts
    answer = assistant.ask(question)
    assert answer.answerable, answer.answer
    assert answer.answer.count("龙头企业七家") == 1, answer.answer
    assert len({c.chunk_id for c in answer.citations}) == len(answer.citations)
