"""Saved conversations in the sidebar: whose they are, the list (newest first), reopen, rename, delete, export.

Whose: a logged-in user's name ('user:<name>'); without a login, the browser's ('browser:<id>'), where the id
is random, made on the first visit and kept in the browser cookie `kbqa_browser` (written by the page script,
like the login cookie, so it is not HttpOnly); a browser that sends no cookie, or a malformed one, gets a new
id. See docs/settings.md."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.conversations import History, export_markdown, new_browser_id
from app.errors import KBQAError
from app.present import text_md
from app.settings import Settings

BROWSER_COOKIE = "kbqa_browser"
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")
SHOWN = 20  # conversations listed in the sidebar


@dataclass(frozen=True)
class Session:
    """Who is asking and where their conversations and votes go."""

    history: History
    owner: str
    admin: bool


@st.cache_resource
def load_history(settings: Settings) -> History:
    """One per index and process; it deletes what is past the retention period when it opens."""
    return History.of(settings)


def remember_browser(browser_id: str, max_age_s: int) -> None:
    """Write the browser's id cookie. Only the page script can do this from a script run (it cannot be
    HttpOnly); the id gives access to this browser's saved conversations and nothing else."""
    script = (f"document.cookie = {json.dumps(BROWSER_COOKIE)} + '=' + {json.dumps(browser_id)} + "
              f"'; Path=/; Max-Age={max_age_s}; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');")
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def owner_of(settings: Settings, user: str) -> str:
    """Whose conversations this session sees: the login's, else this browser's (see the module doc)."""
    if user:
        return f"user:{user}"
    state = st.session_state
    if "browser_id" not in state:
        sent = st.context.cookies.get(BROWSER_COOKIE, "")
        sent = sent if isinstance(sent, str) else ""  # whatever a browser (or a test harness) sent
        state.browser_id = sent if _BROWSER_ID.fullmatch(sent) else new_browser_id()
        if state.browser_id != sent:
            with st.sidebar:
                remember_browser(state.browser_id, settings.retention_days * 86_400)
    return f"browser:{state.browser_id}"


def _forget_widgets() -> None:
    """Votes and comments are keyed by message position: another conversation must not inherit them."""
    for key in [k for k in st.session_state if str(k).startswith(("fb-", "fbc-"))]:
        del st.session_state[key]


def new_conversation() -> None:
    st.session_state.messages = []
    st.session_state.conversation_id = None
    _forget_widgets()


def reopen(history: History, owner: str, conversation_id: str) -> None:
    messages: list[dict[str, Any]] = []
    for a in history.answers(owner, conversation_id):
        messages += [{"role": "user", "content": a.question}, {"role": "assistant", "content": a.answer, "answer": a}]
    st.session_state.messages = messages
    st.session_state.conversation_id = conversation_id
    _forget_widgets()


def sidebar_history(settings: Settings, history: History, owner: str) -> None:
    side = st.sidebar
    side.markdown("### 历史对话")
    if not settings.store_questions:
        side.caption("未保存提问（KBQA_STORE_QUESTIONS=false）。")
        return
    current = st.session_state.get("conversation_id")
    listed = history.conversations(owner, limit=SHOWN)
    for conv in listed:
        side.button(text_md(conv.title), key=f"conv-{conv.id}", on_click=reopen, args=(history, owner, conv.id),
                    type="primary" if conv.id == current else "tertiary", help=f"{conv.turns} 问")
    this = next((conv for conv in listed if conv.id == current), None)
    if this is None:
        return
    with side.expander("当前对话：改名、删除、导出"):
        title = st.text_input("对话名称", value=this.title, max_chars=60, key=f"title-{this.id}")
        if st.button("改名", key=f"rename-{this.id}") and title != this.title:
            try:
                history.rename(owner, this.id, title)
            except KBQAError as exc:
                st.error(str(exc))
            else:
                st.rerun()
        st.download_button("导出整个对话（Markdown）", export_markdown(this.title, history.answers(owner, this.id)),
                           file_name="conversation.md", mime="text/markdown", on_click="ignore", key=f"export-all-{this.id}")
        if st.button("删除这个对话", key=f"delete-{this.id}"):
            history.delete(owner, this.id)
            new_conversation()
            st.rerun()
