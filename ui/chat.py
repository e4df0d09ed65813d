"""The chat page: the conversation, each answer with its sources, and the sidebar's status and examples."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.answer import MAX_QUESTION_CHARS, Assistant
from app.present import (
    answer_md,
    citation_md,
    examples,
    highlight,
    pending,
    records_table,
    related_md,
    text_md,
    to_markdown,
)
from app.schema import Answer
from app.settings import Settings
from ui.charts import draw_charts
from ui.feedback import feedback
from ui.history import Session, new_conversation
from ui.source_view import show_source, source_button


def render_answer(answer: Answer, key: str, session: Session) -> None:
    if answer.rewritten:
        st.caption(f"理解为：{text_md(answer.rewritten)}")
    if answer.notice:
        st.warning(text_md(answer.notice))
    if not answer.verified and answer.mode == "llm":
        st.warning(f"⚠ 大模型回答中的 {text_md('、'.join(answer.unsupported))} 未能在引用原文中核实，请以来源原文为准。")
    if answer.answerable:
        st.markdown(answer_md(answer))
    else:
        st.info(text_md(answer.answer))
    rows = records_table(answer)
    if rows:
        left, right = st.columns(2)
        left.dataframe(rows, hide_index=True)
        draw_charts(answer, right)  # one measure per chart: a value and its growth rate never share an axis
    if answer.citations:
        st.markdown("**来源**")
        for c in answer.citations:
            with st.container(border=True):
                st.markdown(citation_md(c))
                st.markdown(f"“{highlight(c.quote, answer.answer)}”")
                source_button(c, f"{key}-{c.n}")
    if answer.related:
        with st.expander("相关资料（未直接回答该问题）", expanded=True):
            for c in answer.related:
                st.markdown(related_md(c))
    mode = "大模型" if answer.mode == "llm" else "原文摘录"
    st.caption(f"{mode} · {answer.elapsed_ms:.0f} ms")
    st.download_button("导出为 Markdown", to_markdown(answer), file_name=f"answer-{answer.id}.md",
                       mime="text/markdown", key=f"export-{key}")
    feedback(answer, key, session)


def sidebar_status(settings: Settings, assistant: Assistant) -> None:
    store = assistant.store
    files = store.manifest.get("files", {})
    st.sidebar.markdown("### 知识库")
    st.sidebar.markdown(
        f"文档 **{len(files)}** 个 · 片段 **{len(store.chunks)}** 个  \n"
        f"最近建索引：{store.manifest.get('built_at', '—')}  \n"
        f"回答方式：{'大模型（' + text_md(settings.llm_model) + '）' if settings.llm_enabled else '原文摘录（未配置大模型）'}"
    )
    st.sidebar.markdown("### 试试这些问题")
    for kind, question in examples(store):
        if st.sidebar.button(text_md(question), key=f"ex-{question}", help=f"来自{kind}"):
            st.session_state.pending = question
    st.sidebar.button("清空对话", type="secondary", on_click=new_conversation, help="开始新对话；原对话仍在“历史对话”中")


def chat_page(settings: Settings, assistant: Assistant, session: Session) -> None:
    st.title("经信知识助手")
    st.caption("答案均摘自知识库原文并标注来源，可逐条核对。")
    if settings.store_questions:
        st.caption(f"提问与回答会保存为历史对话（保留 {settings.retention_days} 天），未找到依据的问题和差评会进入管理员的"
                   "缺口报告，用于补充知识库；管理员可设置 KBQA_STORE_QUESTIONS=false 关闭保存。")
    else:
        st.caption("本系统不保存提问与回答（KBQA_STORE_QUESTIONS=false），刷新页面后对话即清空。")
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    # A run stopped by a rerun (a click, a second question) after the question was shown but before its
    # answer leaves the question unanswered at the end: it is asked again, never lost.
    waiting = [messages.pop()["content"]] if messages and messages[-1]["role"] == "user" else []
    for i, m in enumerate(messages):
        with st.chat_message(m["role"]):
            if m["role"] == "assistant":
                render_answer(m["answer"], str(i), session)
            else:
                st.markdown(text_md(m["content"]))
    if (cited := st.session_state.pop("source", None)) is not None:
        show_source(settings, assistant, cited, session.admin)
    new = st.chat_input("请输入问题，例如：2025年人工智能产业规上营收是多少？", max_chars=MAX_QUESTION_CHARS) or st.session_state.pop("pending", None)
    if new is not None and not new.strip():
        st.toast("问题是空的，没有发送：请输入要问的内容。")
        new = None
    for question in [*waiting, *([new] if new else [])]:
        answer_question(settings, assistant, messages, question, session)


def answer_question(settings: Settings, assistant: Assistant, messages: list[dict[str, Any]], question: str,
                    session: Session) -> None:
    """Show the question, answer it (streamed in LLM mode) and keep both in the conversation, and in the
    saved conversation when questions may be stored."""
    history = [{"role": m["role"], "content": m["content"]} for m in messages]
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(text_md(question))
    with st.chat_message("assistant"):
        stream = assistant.stream(question, history)
        final: Answer | None = None

        def pieces() -> Any:
            nonlocal final
            for piece in stream:
                if isinstance(piece, Answer):
                    final = piece
                else:
                    yield piece

        if settings.llm_enabled:
            # the model's text streams as text with its figures masked: nothing looks verified before verify()
            placeholder = st.empty()
            streamed = ""
            for piece in pieces():
                streamed += piece
                placeholder.markdown(pending(streamed))
            placeholder.empty()
        else:
            for _ in pieces():
                pass
        assert final is not None
        render_answer(final, str(len(messages)), session)
    messages.append({"role": "assistant", "content": final.answer, "answer": final})
    st.session_state.conversation_id = session.history.add_turn(session.owner, st.session_state.get("conversation_id"), final)
