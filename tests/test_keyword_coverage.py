"""The keyword score blends BM25 with term coverage (app.retrieve.keyword_scores): a chunk that repeats the
question's place many times no longer outranks the chunk of the same document that holds the asked word."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.answer import Assistant
from app.errors import ConfigError
from app.query import analyze
from app.retrieve import keyword_scores, retrieve, weighted_bm25
from app.settings import Settings
from app.terms import TermWeights, term_weights
from tests.conftest import index_rows

TITLE = "青山市经信工作简报"
ROWS = [
    {"id": "a", "title": TITLE, "text": "青山市召开全市经信工作会议，青山市各区县负责人参加。会议要求青山市上下继续做好各项经信工作，"
                                       "青山市市长作了讲话，青山市各部门要守土尽责。"},
    {"id": "b", "title": TITLE, "text": "经信部门派出专员逐户走访，摸清企业设备更新需求，帮助企业编好项目计划，按季度兑现奖励。"},
    {"id": "c", "title": "西岭县春耕简报", "text": "西岭县组织农技人员下乡指导春耕，全县已完成早稻育秧三万亩。"},
    {"id": "d", "title": "东湖区复工简报", "text": "东湖区为复工企业开通绿色通道，工作人员上门帮办手续。"},
    {"id": "e", "title": "南山镇物资简报", "text": "南山镇储备口罩十万只，防护服两千套，每日向社区配送。"},
]


def index(tmp_path: Path, settings: Settings) -> Assistant:
    index_rows(tmp_path / "kb.jsonl", ROWS, settings)
    return Assistant(settings)


def test_the_chunk_holding_the_asked_word_leads_over_one_repeating_the_place(tmp_path: Path, settings: Settings) -> None:
    assistant = index(tmp_path, settings)
    plan = analyze("青山市如何开展设备更新工作？", settings.question_date(), assistant.store.idf)
    bm25_only = replace(term_weights(), coverage=0.0)
    scores = weighted_bm25(assistant.store, plan.keys, bm25_only)
    first = assistant.store.chunks[int(np.argmax(scores))]
    assert first.text.startswith("青山市召开"), "BM25 alone prefers the chunk that repeats the place"
    assert term_weights().coverage > 0
    hits = retrieve(assistant.store, plan, 3)
    assert hits[0].chunk.text.startswith("经信部门派出专员"), [h.chunk.text[:12] for h in hits]


def test_without_coverage_the_keyword_score_is_weighted_bm25(tmp_path: Path, settings: Settings) -> None:
    assistant = index(tmp_path, settings)
    plan = analyze("青山市如何开展设备更新工作？", settings.question_date(), assistant.store.idf)
    bm25_only = replace(term_weights(), coverage=0.0)
    assert keyword_scores(assistant.store, plan.keys, bm25_only) == pytest.approx(weighted_bm25(assistant.store, plan.keys, bm25_only))
    blended = keyword_scores(assistant.store, plan.keys, term_weights())
    unreached = next(i for i, c in enumerate(assistant.store.chunks) if c.text.startswith("南山镇"))
    assert blended[unreached] == 0.0 and 0.0 < float(blended.max()) <= 1.0


def test_coverage_weight_is_validated() -> None:
    raw = term_weights().to_json()
    assert raw["fusion"]["coverage"] == term_weights().coverage  # type: ignore[index]
    with pytest.raises(ConfigError, match="coverage"):
        replace(term_weights(), coverage=1.0)
    assert TermWeights.from_json(raw) == term_weights()
