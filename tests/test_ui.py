"""The Streamlit chat through AppTest: cited answers, refusal, follow-up, indicator table, admin page."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from app.auth import hash_password
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def ui_env(tiny_kb: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    run_ingest([tiny_kb], settings)
    for key in ("KBQA_LLM_MODEL", "OPENAI_API_KEY", "KBQA_AUTH_CONFIG", "KBQA_CHAT_REQUIRES_LOGIN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("KBQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("KBQA_KB_DIR", str(tiny_kb))
    yield settings


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_chat_answer_shows_figure_and_quoted_source(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    ask(at, "2025年人工智能产业规上营收是多少")
    shown = texts(at)
    assert "143.79亿元" in shown and "来源" in shown
    assert "2025年回顾" in shown or "指标" in shown
    assert ":orange-background[**143\\.79亿元**]" in shown  # the supporting figure is highlighted in the quote


def test_a_question_left_unanswered_by_an_interrupted_run_is_answered(ui_env: Settings) -> None:
    """A rerun that stops the script after the question was shown but before its answer leaves the
    question last in the conversation; the next run answers it (before, it stayed unanswered forever)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["messages"] = [{"role": "user", "content": "2025年人工智能产业规上营收是多少"}]
    at.run()
    assert not at.exception, at.exception
    assert "143.79亿元" in texts(at)
    assert [m["role"] for m in at.session_state["messages"]] == ["user", "assistant"]


def test_refusal_and_followup(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "2025年平湖市GDP是多少？")
    assert any("知识库中未找到" in i.value for i in at.info)
    ask(at, "2025年人工智能产业规上营收是多少")
    ask(at, "同比增长多少？")
    shown = texts(at)
    assert "理解为：2025年人工智能产业同比增长多少？" in shown and "45.30%" in shown


def test_indicator_question_draws_a_table(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "各产业规上营收分别是多少")
    assert at.dataframe, "the cited records should be shown as a table"
    assert "88.50" in texts(at) or "88.5" in at.dataframe[0].value.to_string()


def test_sidebar_status_and_examples(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    side = "\n".join(m.value for m in at.sidebar.markdown)
    assert "片段" in side and "原文摘录" in side
    example = next(b for b in at.sidebar.button if "是多少" in b.label)
    example.click().run()
    assert "是多少" in texts(at)


def test_non_admin_sees_no_upload_or_delete(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.radio[0].set_value("知识库管理").run()
    assert not at.exception
    assert "KBQA_AUTH_CONFIG" in texts(at)
    assert not [b for b in at.button if b.label in ("上传并编入索引", "删除")]
    assert not at.selectbox


def test_admin_login_then_delete_removes_answers(ui_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_config(tmp_path, monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.text_input[0].set_value("admin")
    at.sidebar.text_input[1].set_value("s3cret-pass")
    at.sidebar.button[0].click().run()
    assert not at.exception
    at.sidebar.radio[0].set_value("知识库管理").run()
    assert [b for b in at.button if b.label == "删除"] or at.selectbox
    target = next(s for s in at.selectbox if s.label == "选择要删除的文档")
    target.set_value("kb/articles/2026年计划.md").run()
    next(b for b in at.button if b.label == "删除").click().run()
    assert not at.exception
    at.sidebar.radio[0].set_value("问答").run()
    ask(at, "2026年有哪些重点工作？")
    assert "壮大人工智能产业" not in texts(at)


@pytest.mark.network
def test_llm_mode_streams_and_warns_when_unverified(ui_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_openai import Behaviour, FakeOpenAI

    fake = FakeOpenAI(Behaviour(reply="2025年人工智能产业规上营收为150亿元[1]。")).start()
    try:
        monkeypatch.setenv("KBQA_LLM_MODEL", "fake-model")
        monkeypatch.setenv("KBQA_LLM_API_KEY", "sk-test")
        monkeypatch.setenv("KBQA_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("KBQA_FALLBACK_ON_UNVERIFIED", "false")
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert "大模型（fake-model）" in "\n".join(m.value for m in at.sidebar.markdown)
        ask(at, "2025年人工智能产业规上营收是多少")
        assert fake.chat_requests()[-1]["body"]["stream"] is True
        assert any("150亿元" in w.value and "未能在引用原文中核实" in w.value for w in at.warning)
        assert "150亿元" in texts(at) and "来源" in texts(at)
    finally:
        fake.stop()


def login_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {
        "credentials": {"usernames": {"admin": {"name": "管理员", "password": hash_password("s3cret-pass"), "roles": ["admin"]},
                                      "staff": {"name": "职员", "password": hash_password("staff-pass"), "roles": []}}},
        "cookie": {"name": "kbqa_test", "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KBQA_AUTH_CONFIG", str(path))
    monkeypatch.setenv("KBQA_LOGIN_DELAY_S", "0")


def logged_in(user: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.text_input[0].set_value(user)
    at.sidebar.text_input[1].set_value(password)
    at.sidebar.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_a_conversation_is_listed_and_reopened_in_a_new_session(ui_env: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    login_config(tmp_path, monkeypatch)
    first = logged_in("staff", "staff-pass")
    ask(first, "2025年人工智能产业规上营收是多少")
    ask(first, "同比增长多少？")
    later = logged_in("staff", "staff-pass")  # a new session: a reload, another tab, the next day
    assert "143.79" not in texts(later)
    saved = next(b for b in later.sidebar.button if b.label == "2025年人工智能产业规上营收是多少")
    saved.click().run()
    assert not later.exception, later.exception
    shown = texts(later)
    assert "143.79亿元" in shown and "45.30%" in shown and "来源" in shown
    assert [m["role"] for m in later.session_state["messages"]] == ["user", "assistant", "user", "assistant"]
    ask(later, "数字经济核心产业呢？")  # the reopened conversation goes on with its history
    assert "理解为：2025年数字经济核心产业同比增长多少？" in texts(later)
    other = logged_in("admin", "s3cret-pass")  # another user sees none of it
    assert not [b for b in other.sidebar.button if b.label == "2025年人工智能产业规上营收是多少"]


def test_feedback_and_a_refused_question_show_on_the_gap_report(ui_env: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from app.conversations import History

    login_config(tmp_path, monkeypatch)
    at = logged_in("admin", "s3cret-pass")
    ask(at, "2025年平湖市GDP是多少？")
    ask(at, "李明远是谁")
    at.feedback[1].set_value(0).run()
    at.text_input(key="fbc-3").set_value("应引用最新的人事任免文件").run()
    assert not at.exception, at.exception
    [row] = History.of(ui_env).feedback_rows()
    assert (row["score"], row["question"], row["comment"], row["mode"]) == (0, "李明远是谁", "应引用最新的人事任免文件", "extractive")
    assert "李明远" in row["answer"] and row["citations"][0]["source"].endswith("2025年回顾.md")
    at.sidebar.radio[0].set_value("缺口报告").run()
    assert not at.exception, at.exception
    report = "\n".join(d.value.to_string() for d in at.dataframe)
    assert "2025年平湖市GDP是多少？" in report and "李明远是谁" in report and "应引用最新的人事任免文件" in report
    assert any(b.label == "导出 CSV" for b in at.get("download_button"))


def test_the_gap_report_is_for_admins(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "2025年平湖市GDP是多少？")
    at.sidebar.radio[0].set_value("缺口报告").run()
    assert not at.dataframe and "KBQA_AUTH_CONFIG" in texts(at)


def test_value_and_growth_answer_draws_one_chart_per_measure(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "各产业规上营收和营收增速分别是多少")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    axes = sorted(s["encoding"]["x"]["title"] for s in specs)
    assert axes == ["2025年营收增速（%）", "2025年规上营收（亿元）"]
    for spec in specs:  # each chart holds one measure: its bars are that measure's values only
        field = spec["encoding"]["x"]["field"]
        assert field == spec["encoding"]["x"]["title"]


def test_a_blank_question_is_not_sent(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "   \n\t ")
    assert at.session_state["messages"] == []
    assert not at.chat_message


def test_a_citation_opens_its_source_with_the_quote_highlighted(ui_env: Settings) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    ask(at, "去年新增国家级重点小巨人企业多少家")
    next(b for b in at.button if b.label == "查看原文").click().run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert ":orange-background[**去年新增国家级重点小巨人企业3家" in shown
    assert "143\\.79亿元" in shown  # the paragraph before the quote
