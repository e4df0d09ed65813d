"""Faults found by the kb dev questions written over our own documents (bench/kb_dev.jsonl h27-h68), each
on passages of our own: real jieba, real Chroma in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

from app.answer import Assistant
from app.settings import Settings
from ingest.index import run_ingest

NOTICES = [
    {"id": "people", "title": "青山市科技局领导分工", "date": "2026-03-02",
     "text": "青山市科技局党组书记、局长为王明远。副局长李清负责成果转化工作。"},
    {"id": "park", "title": "青山市科创园简报", "date": "2026-03-05",
     "text": "2025年，青山市科创园新入驻企业42家，孵化面积达到3.6万平方米。"},
    {"id": "notice", "title": "关于青山市科技成果转化奖励的通知", "date": "2026-03-09",
     "text": "奖励资金由市科技局会同市财政局审核后拨付，每年集中受理一次。"},
]


def _assistant(tmp_path: Path, settings: Settings) -> Assistant:
    path = tmp_path / "notices.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in NOTICES) + "\n", encoding="utf-8")
    run_ingest([path], settings)
    return Assistant(settings)


def test_a_post_question_is_answered_by_the_sentence_that_names_the_post(tmp_path: Path, settings: Settings) -> None:
    """'是什么职务': 职务 names the kind of answer (like 称号, 名称); the index lacking the word is no
    missing topic (the right sentence was refused)."""
    answer = _assistant(tmp_path, settings).ask("王明远是什么职务？")
    assert answer.answerable, answer.answer
    assert "局长" in answer.answer.split("[1]")[0]
