"""Dates: 去年/今年 in a document are read against its own date at ingest, in a question against
Settings.reference_date (KBQA_REFERENCE_DATE, default the day it is asked) — never against the clock deep
inside. The clock is moved to 2027 here to prove no path still reads it; `search --year` filters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from app.__main__ import main
from app.answer import Assistant
from app.errors import ConfigError
from app.query import analyze
from app.settings import Settings, from_env
from ingest.index import run_ingest

LATER = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_reference_date_from_env() -> None:
    assert from_env({"KBQA_REFERENCE_DATE": "2026-03-01"}).reference_date == dt.date(2026, 3, 1)
    assert from_env({}).reference_date is None
    with pytest.raises(ConfigError, match=r"不是有效日期.*2026-03-01"):
        from_env({"KBQA_REFERENCE_DATE": "2026/3/1"})


def test_question_date_is_the_setting_else_the_day_asked() -> None:
    with time_machine.travel(LATER, tick=False):
        assert Settings(reference_date=dt.date(2026, 3, 1)).question_date() == dt.date(2026, 3, 1)
        assert Settings().question_date() == dt.date(2027, 3, 1)
        assert analyze("去年营收是多少").years == ()  # no date given: left as written, the clock is not read
        assert analyze("去年营收是多少", dt.date(2026, 3, 1)).years == ("2025",)


def test_date_paths_in_2027(tiny_kb: Path, tmp_path: Path) -> None:
    """Ingest, ask and follow up with the clock at 2027-03-01: the document's 去年 stays 2025 (its date is
    2026-01-10), a question's 去年 follows the reference date, and with none it is read in 2027."""
    pinned = Settings(index_dir=tmp_path / "index", kb_dir=tiny_kb, reference_date=dt.date(2026, 3, 1))
    with time_machine.travel(LATER, tick=False):
        run_ingest([tiny_kb], pinned)
        assistant = Assistant(pinned)
        review = next(c for c in assistant.store.chunks if c.text.startswith("去年全年"))
        assert "2025" in review.periods and "2025年全年" in review.index_text

        answer = assistant.ask("去年AI产业营收同比增长多少？")
        assert answer.answerable and "45.30%" in answer.answer

        history = [{"role": "user", "content": "2024年人工智能产业规上营收是多少"}, {"role": "assistant", "content": "未找到"}]
        followup = assistant.ask("去年呢？", history)
        assert followup.rewritten == "2025年人工智能产业规上营收是多少" and "143.79亿元" in followup.answer

        today = Assistant(Settings(index_dir=pinned.index_dir, kb_dir=tiny_kb))  # no reference date: 2027
        assert today.ask("去年呢？", history).rewritten == "2026年人工智能产业规上营收是多少"
        assert not today.ask("去年AI产业营收同比增长多少？").answerable  # 去年 is 2026 now: no figure for it


def test_search_year_filter(tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "上年.md").write_text("# 上年快报\n\n2024年，全市储能电池产业实现营收180.2亿元。\n", encoding="utf-8")
    (kb / "本年.md").write_text("# 本年快报\n\n2025年，全市储能电池产业实现营收215.4亿元。\n", encoding="utf-8")
    run_ingest([kb], settings)
    common = ["search", "储能电池产业营收", "--index-dir", str(settings.index_dir), "--json"]

    assert main(common) == 0
    texts = [h["text"] for h in json.loads(capsys.readouterr().out)["hits"]]
    assert any("180.2" in t for t in texts) and any("215.4" in t for t in texts)

    assert main([*common, "--year", "2024"]) == 0
    texts = [h["text"] for h in json.loads(capsys.readouterr().out)["hits"]]
    assert any("180.2" in t for t in texts) and not any("215.4" in t for t in texts)
