"""`app eval`: the strict figures beside the lenient one, on answers and a real index of our own passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.__main__ import main
from app.answer import Assistant
from app.errors import KBQAError
from app.evaluate import (
    baseline_200_text,
    baseline_text,
    display_width,
    evaluate,
    lead,
    load_questions,
    pieces,
    render_report,
    score,
)
from app.schema import Answer
from app.settings import Settings
from tests.conftest import index_rows

NEW_KEYS = {"lead_accuracy", "unanswerable_refused", "wrong_refusals", "baseline_accuracy"}
OLD_KEYS = {"n", "answer_accuracy", "citation_support", "refusal_accuracy", "recall@5", "answer_recall@5"}


def answer(text: str, answerable: bool = True) -> Answer:
    return Answer("q", "问题", text, answerable, (), "extractive", 1.0)


def test_pieces_end_at_marker_groups() -> None:
    text = "钟埭街道规上工业产值128.6亿元[1]；同比增长9.2%[2][3]。以下为参考"
    assert pieces(text) == ["钟埭街道规上工业产值128.6亿元", "；同比增长9.2%"]  # uncited tail is no piece
    assert lead(text, 1) == "钟埭街道规上工业产值128.6亿元"
    assert "9.2%" in lead(text, 2)
    assert pieces("没有引用的回答") == [] and lead("没有引用的回答", 1) == ""


def test_lead_is_stricter_than_accuracy() -> None:
    """The figure in the second piece: the lenient metric counts it, the lead (one part asked) does not."""
    gold = {"question": "钟埭街道规上工业产值是多少", "must": ["128.6亿元"], "type": "numeric"}
    buried = score(gold, answer("钟埭街道工业运行平稳[1]；规上工业产值128.6亿元[2]。"))
    assert buried["correct"] and not buried["lead"]
    first = score(gold, answer("规上工业产值128.6亿元[1]；钟埭街道工业运行平稳[2]。"))
    assert first["correct"] and first["lead"]
    two_parts = {"question": "产值和增速", "answer_parts": [["128.6亿元"], ["9.2%"]], "type": "numeric"}
    assert score(two_parts, answer("产值128.6亿元[1]；增长9.2%[2]。"))["lead"]
    assert not score(two_parts, answer("产值128.6亿元[1]；工业平稳[2]；增长9.2%[3]。"))["lead"]


def test_refusals_are_counted_both_ways() -> None:
    unanswerable = {"question": "广陈镇产值", "must": [], "type": "unanswerable"}
    answerable = {"question": "钟埭街道产值", "must": ["128.6亿元"], "type": "numeric"}
    assert score(unanswerable, answer("未找到依据", answerable=False))["unanswerable_refused"]
    assert not score(unanswerable, answer("产值128.6亿元[1]。"))["unanswerable_refused"]
    refused = score(answerable, answer("未找到依据", answerable=False))
    assert refused["wrong_refusal"] and not refused["correct"] and "unanswerable_refused" not in refused


def test_baselines_read_only_the_heads_of_the_passages() -> None:
    passages = ["甲" * 195 + "产值128.6亿元", "乙" * 250 + "增长9.2%", "新增规上企业12家"]
    each = baseline_text(passages)
    assert "128.6亿元" not in each  # past the 200th character of its passage
    assert "9.2%" not in each and "12家" in each
    assert "12家" not in baseline_200_text(passages)  # the answer's budget: 200 characters in all
    assert len(baseline_200_text(passages)) == 200


def test_table_columns_align_with_cjk_width() -> None:
    summary = {key: 0.5 for key in NEW_KEYS | OLD_KEYS | {"baseline_5x200_accuracy"}} | {"n": 3}
    report = {"file": "问题.jsonl", "overall": summary, "by_type": {"numeric": summary, "不可答": summary},
              "latency_ms": {"p50": 1.0, "p95": 2.0}, "failures": [], "lead_failures": []}
    lines = render_report(report).splitlines()[1:5]
    assert len({display_width(line) for line in lines}) == 1, lines
    assert len({len(line) for line in lines}) > 1  # counted in characters, the CJK header would not line up


@pytest.fixture
def towns(tmp_path: Path, settings: Settings) -> Settings:
    rows = [
        {"id": "zd", "title": "", "text": "2025年钟埭街道规上工业产值为128.6亿元，同比增长9.2%，增速居全市各镇街道第一。"},
        {"id": "xc", "title": "", "text": "新仓镇2025年新增规上工业企业12家，新增产值3.4亿元。"},
        {"id": "cq", "title": "", "text": "曹桥街道2025年完成工业投资36亿元，其中技改投资21亿元。"},
    ]
    index_rows(tmp_path / "towns.jsonl", rows, settings)
    return settings


def gold_file(path: Path) -> Path:
    rows = [
        {"id": "1", "question": "2025年钟埭街道规上工业产值是多少", "must": ["128.6亿元"], "type": "numeric"},
        {"id": "2", "question": "新仓镇2025年新增了多少家规上工业企业", "answer_parts": [["12家", "12个"]], "type": "numeric"},
        {"id": "3", "question": "2025年钟埭街道规上工业产值是多少？增长多少？", "must": ["128.6亿元", "9.2%"], "type": "two_part"},
        {"id": "4", "question": "2025年广陈镇完成工业投资多少", "must": [], "type": "unanswerable"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_report_has_every_figure_overall_and_by_type(towns: Settings, tmp_path: Path) -> None:
    report = evaluate(Assistant(towns), gold_file(tmp_path / "gold.jsonl"))
    for summary in [report["overall"], *report["by_type"].values()]:
        assert set(summary) >= NEW_KEYS | OLD_KEYS
    assert report["overall"]["n"] == 4
    unanswerable = report["by_type"]["unanswerable"]
    assert unanswerable["baseline_accuracy"] == 0.0  # the passages alone never refuse
    assert unanswerable["wrong_refusals"] is None and report["by_type"]["numeric"]["unanswerable_refused"] is None
    assert report["by_type"]["numeric"]["baseline_accuracy"] == 1.0  # short passages: the figure is in the head
    assert report["overall"]["baseline_accuracy"] == 0.75


def test_cli_eval_json_and_table(towns: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = gold_file(tmp_path / "gold.jsonl")
    assert main(["eval", str(gold), "--index-dir", str(towns.index_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["overall"]) >= NEW_KEYS and set(report["by_type"]["two_part"]) >= NEW_KEYS
    assert main(["eval", str(gold), "--index-dir", str(towns.index_dir)]) == 0
    out = capsys.readouterr().out
    assert "首段正确率" in out and "基线正确率" in out and "误拒率" in out


def test_a_broken_gold_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "钟埭街道产值", "must": ["1"]}\n{"must": ["2"]}\n', encoding="utf-8")
    with pytest.raises(KBQAError, match="第2行缺少 question"):
        load_questions(bad)
    bad.write_text('{"question": "钟埭街道产值", "must": "128.6亿元"}\n', encoding="utf-8")
    with pytest.raises(KBQAError, match="第1行的 must / answer_parts 应为列表"):
        load_questions(bad)
