"""The extractor's candidate filters (app/rank.py `_score`): a filter drops a sentence only where it cannot
answer (another year's figure, another metric's figure); a why/what sentence that names a past year in passing
or says its metric in other words stays a candidate. Real jieba, real Chroma in tmp_path, our own passages."""

from __future__ import annotations

from pathlib import Path

from app.answer import Assistant
from app.query import analyze
from app.rank import Extractor
from app.retrieve import retrieve
from app.settings import Settings
from tests.conftest import index_rows

FAIR = [
    {"id": "fair", "title": "青山市2024年工业博览会综述", "date": "2024-10-12",
     "text": "2024年青山市工业博览会于9月18日开幕，展期四天。本届博览会是继2019年以后，青山与白沙两市再一次联合主办，"
             "因此被人称作“双城之会”。2019年博览会签约项目29个。本届博览会现场签约项目41个。"},
]
SUBSIDY = [
    {"id": "notice", "title": "青山市稳岗扶持通知", "date": "2026-02-05",
     "text": "市财政今年安排稳岗专项资金两千万元。扶持方向主要包括企业停工期间发生的房租、社保缴费以及职工线上培训的"
             "费用补贴，具体标准由各区县确定。企业于3月31日前通过政务服务网提出申请。"},
]


def ranked(settings: Settings, question: str) -> list[str]:
    store = Assistant(settings).store
    plan = analyze(question, settings.question_date(), store.idf)
    hits = retrieve(store, plan, 4)
    return [c.quote for c in Extractor(store, plan, (), hits).candidates(hits)]


def test_a_why_sentence_naming_a_past_year_in_passing_answers_for_its_documents_year(
        tmp_path: Path, settings: Settings) -> None:
    """The year filter drops another year's figure, not a sentence of the asked year's report that names a
    past year in passing ('是继2019年以后…'): its document is about 2024."""
    index_rows(tmp_path / "fair.jsonl", FAIR, settings)
    why = ranked(settings, "为什么2024年青山市工业博览会被称作双城之会？")
    assert any(q.startswith("本届博览会是继2019年以后") and "双城之会" in q for q in why)
    figure = ranked(settings, "2024年青山市工业博览会签约项目多少个？")
    assert not any(q.startswith("2019年博览会签约") for q in figure)  # another year's figure stays out


def test_a_list_question_is_answered_by_a_sentence_that_names_its_metric_in_other_words(
        tmp_path: Path, settings: Settings) -> None:
    """'资金支持哪些方面' asks what is supported: the sentence says 补贴, the one before it names the 资金. For
    a figure the metric must be in the sentence or its headings (another metric's figure is no answer); for a
    list or description the sentence around may name it."""
    index_rows(tmp_path / "notice.jsonl", SUBSIDY, settings)
    assert any(q.startswith("扶持方向") and "费用补贴" in q for q in ranked(settings, "青山市稳岗资金支持哪些方面？"))
