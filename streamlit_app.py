"""经信知识助手 — the Streamlit entry (server.py serves it): settings, login, the index, then one page of ui/."""

from __future__ import annotations

import os

import streamlit as st

from app.answer import Assistant
from app.errors import KBQAError
from app.index_files import current_generation
from app.present import text_md
from app.settings import Settings, from_env
from ui.admin import admin_page, build_index
from ui.chat import chat_page, sidebar_status
from ui.gaps import gaps_page
from ui.history import Session, load_history, owner_of, sidebar_history
from ui.login import login

st.set_page_config(page_title="经信知识助手", page_icon="📊", layout="wide")


@st.cache_resource
def load_settings(environment: tuple[tuple[str, str], ...]) -> Settings:
    """Cached per set of KBQA_*/OPENAI_* variables (the argument is the cache key)."""
    return from_env(dict(environment))


@st.cache_resource
def load_assistant(settings: Settings) -> Assistant:
    assistant = Assistant(settings)
    _ = assistant.store  # open the index once per process
    return assistant


def main() -> None:
    try:
        settings = load_settings(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("KBQA_", "OPENAI_")))))
        logged_in, admin, how, user = login(settings)
    except KBQAError as exc:
        st.error(text_md(f"配置错误：{exc}"))
        st.stop()
    if settings.chat_requires_login and not logged_in:
        st.title("经信知识助手")
        st.info("请先在左侧登录后再使用。")
        st.stop()
    if current_generation(settings.index_dir) is None and build_index(settings, f"首次启动：正在为 {settings.kb_dir} 建立索引…") is None:
        st.stop()
    try:
        assistant = load_assistant(settings)
        assistant.reload(if_changed=True)  # an ingest by another process (CLI, cron) shows on the next run
    except KBQAError as exc:
        st.error(text_md(str(exc)))
        st.stop()
    try:
        history = load_history(settings)
        if not st.session_state.get("purged"):  # a long-running server still forgets what is past retention
            history.purge()
            st.session_state.purged = True
    except KBQAError as exc:
        st.error(text_md(str(exc)))
        st.stop()
    session = Session(history, owner_of(settings, user), admin)
    sidebar_status(settings, assistant)
    page = st.sidebar.radio("页面", ["问答", "知识库管理", "缺口报告"], horizontal=True)
    sidebar_history(settings, history, session.owner)
    if page == "问答":
        chat_page(settings, assistant, session)
    elif page == "知识库管理":
        admin_page(settings, assistant, admin, how, logged_in)
    else:
        gaps_page(settings, history, admin, how)


main()
