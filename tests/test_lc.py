"""The LangChain retriever over a real index: it reads a question's relative years as the app does."""

from __future__ import annotations

from pathlib import Path

from app.lc import KBRetriever
from app.settings import Settings
from app.store import Store
from ingest.index import run_ingest
from tests.conftest import QUESTION_DATE


def test_kb_retriever_reads_last_year_against_the_reference_date(tmp_path: Path) -> None:
    """去年 asked on 2026-03-01 is 2025 (Settings.reference_date): the retriever called analyze() without the
    date, so 去年 stayed a word and the other year's passage, which repeats the question's words, came first."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "机器人.md").write_text(
        "# 机器人产业\n\n2024年全市机器人产业营收为10亿元，机器人产业营收连续三年增长。\n\n"
        "# 新材料产业\n\n2025年全市新材料产业产值为8亿元，企业数量稳定。\n\n"
        "# 去年回顾\n\n2025年全市机器人产业营收为12亿元。\n",
        encoding="utf-8",
    )
    settings = Settings(index_dir=tmp_path / "index", kb_dir=kb, reference_date=QUESTION_DATE)
    run_ingest([kb], settings)
    [doc] = KBRetriever(store=Store.open(settings), k=1).invoke("去年机器人产业营收是多少")
    assert "12亿元" in doc.page_content
