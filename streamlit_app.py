"""经信知识助手 — the Streamlit UI. UI only: session state, one call into app, rendering from Answer."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from app.answer import MAX_QUESTION_CHARS, Assistant
from app.errors import KBQAError
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
from app.settings import Settings, from_env
from app.store import current_generation
from ui.charts import draw_charts
from ui.feedback import feedback
from ui.gaps import gaps_page
from ui.history import Session, load_history, new_conversation, owner_of, sidebar_history
from ui.source_view import show_source, source_button

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


def build_index(settings: Settings, label: str) -> Any:
    """Run ingest over kb/ with a progress display; returns the summary, or None when it could not run:
    another ingest (an admin, the CLI, cron) kept the index busy past KBQA_INGEST_WAIT_S, or the index
    folder is refused. Either is said on the page, never as a traceback."""
    from app.store import IndexBusyError
    from ingest.index import run_ingest

    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="读取文件…")

        def progress(items: Any) -> Any:
            items = list(items)
            for i, item in enumerate(items, start=1):
                bar.progress(i / max(1, len(items)), text=f"读取文件 {i}/{len(items)}：{item[1].name}")
                yield item

        try:
            summary = run_ingest([settings.kb_dir], settings, progress=progress)
        except IndexBusyError as exc:
            status.update(label="正在更新索引…（另一项建索引操作尚未完成）", state="error")
            st.warning(f"正在更新索引：{exc}")
            return None
        except KBQAError as exc:
            status.update(label="索引失败", state="error")
            st.error(str(exc))
            return None
        status.update(label=f"索引完成：新增 {summary.chunks_added} 个片段，删除 {summary.chunks_removed} 个，用时 {summary.seconds:.1f} 秒",
                      state="complete" if not summary.skipped else "error")
        for s in summary.skipped:
            st.error(text_md(f"{s['path']}：{s['reason']}"))
    return summary


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:
        return False


def login(settings: Settings) -> tuple[bool, bool, str, str]:
    """(logged in, admin, how to enable admin, user name or e-mail). Our own login over a server-side session
    table, or st.login with OIDC.

    Started through server.py, the login is a page of its own (/kbqa/login) whose HTTP response sets an HttpOnly
    cookie; the script only reads it from the request and checks it against the session table on every run, so
    a logout in another tab, an expiry or a new cookie.key ends this session too. Started as a bare script
    (streamlit run streamlit_app.py, AppTest) there is no such page: the sidebar form logs in this tab only and
    writes no cookie at all."""
    if settings.auth_config:
        from app import login_page
        from app.auth import AuthStore, is_admin, load_auth_config, state_path

        config = load_auth_config(settings.auth_config)
        store = AuthStore(state_path(settings), config, settings)
        state = st.session_state
        served = login_page.served()

        def attempt() -> None:
            result = store.attempt(state.get("login_name", ""), state.get("login_password", ""))
            state.login_password = ""
            state.auth_token, state.auth_message = result.token, result.message

        def logout() -> None:
            store.logout(state.get("auth_token", ""))
            state.auth_token = ""

        token = st.context.cookies.get(str(config["cookie"]["name"]), "") if served else state.get("auth_token", "")
        username = store.session_user(token)
        state.auth_token = token if username and not served else ""  # the page's cookie stays out of session state
        with st.sidebar:
            if username:
                shown = config["credentials"]["usernames"][username].get("name") or username
                st.caption(f"已登录：{shown}")
                if served:
                    st.html(login_page.logout_button(store.form_token(token)))
                else:
                    st.button("退出登录", on_click=logout)
            elif served:
                st.html(login_page.login_link())
            else:
                with st.form("login"):
                    st.markdown("**管理员登录**")
                    st.text_input("用户名", max_chars=64, key="login_name")
                    st.text_input("密码", type="password", max_chars=256, key="login_password")
                    st.form_submit_button("登录", on_click=attempt)
                if message := state.pop("auth_message", ""):
                    st.error(message)
        return bool(username), is_admin(config, username), "", username or ""
    if oidc_configured():
        if not st.user.is_logged_in:
            st.sidebar.button("登录", on_click=st.login)
            return False, False, "", ""
        st.sidebar.button("退出登录", on_click=st.logout)
        email = str(st.user.get("email", "")).lower()
        return True, email in settings.admin_emails, "", email
    return False, False, "未配置登录：设置 KBQA_AUTH_CONFIG 指向登录配置文件（见 README）后，管理员可上传、删除和重建索引。", ""


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
        f"回答方式：{'大模型（' + settings.llm_model + '）' if settings.llm_enabled else '原文摘录（未配置大模型）'}"
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


def admin_page(settings: Settings, assistant: Assistant, admin: bool, how: str, logged_in: bool) -> None:
    from app.library import ALLOWED, FOLDERS, delete_document, documents, save_upload

    st.title("知识库管理")
    # what the last upload/delete did, kept across the rerun that shows the new index
    for kind, text in st.session_state.pop("flash", []):
        (st.success if kind == "success" else st.error)(text_md(text))
    if settings.chat_requires_login and not logged_in:  # main() stops before; kept so no caller can skip it
        st.info("请先在左侧登录后再查看知识库。")
        return
    rows = documents(assistant.store)
    st.dataframe(rows, hide_index=True)
    if not admin:
        st.info(how or "上传、删除和重建索引需要管理员登录。")
        return
    st.subheader("上传文档")
    folder = st.selectbox("文档类型", list(FOLDERS))
    files = st.file_uploader("选择文件", type=[s.lstrip(".") for s in ALLOWED], accept_multiple_files=True,
                             help=f"单个文件不超过 {settings.upload_max_mb} MB")
    if files and st.button("上传并编入索引", type="primary"):
        flash: list[tuple[str, str]] = []
        saved = 0
        for f in files:
            try:
                save_upload(settings.kb_dir, folder, f.name, f.getvalue(), settings.upload_max_mb, settings=settings)
                saved += 1
            except KBQAError as exc:
                flash.append(("error", str(exc)))
        summary = build_index(settings, "正在编入索引…")
        if summary is None:
            flash.insert(0, ("error", f"已上传 {saved} 个文件，但索引正在被另一项操作更新，暂未编入：请稍后点击“重新扫描知识库文件夹”。"))
        else:
            assistant.reload()
            flash.insert(0, ("success", f"已上传 {saved} 个文件并编入索引：新增 {summary.chunks_added} 个片段，删除 {summary.chunks_removed} 个。"))
            flash += [("error", f"{s['path']}：{s['reason']}") for s in summary.skipped]
        st.session_state.flash = flash
        st.rerun()
    st.subheader("删除文档")
    local = [r["文件"] for r in rows if r["文件"].startswith(f"{settings.kb_dir.name}/")]
    target = st.selectbox("选择要删除的文档", local, index=None, placeholder="选择文件…")
    if target and st.button("删除", type="secondary"):
        try:
            delete_document(settings.kb_dir, target)
        except KBQAError as exc:
            st.error(str(exc))
        else:
            if build_index(settings, "正在从索引中移除…") is None:
                st.session_state.flash = [("error", f"已删除文件 {target}，但索引正在被另一项操作更新：请稍后点击“重新扫描知识库文件夹”，之后它不会再出现在回答中。")]
            else:
                assistant.reload()
                st.session_state.flash = [("success", f"已删除 {target}，它不会再出现在回答中。")]
            st.rerun()
    st.subheader("重建索引")
    if st.button("重新扫描知识库文件夹") and build_index(settings, "正在重新扫描…") is not None:
        assistant.reload()


def main() -> None:
    try:
        settings = load_settings(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("KBQA_", "OPENAI_")))))
        logged_in, admin, how, user = login(settings)
    except KBQAError as exc:
        st.error(f"配置错误：{exc}")
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
        st.error(str(exc))
        st.stop()
    try:
        history = load_history(settings)
        if not st.session_state.get("purged"):  # a long-running server still forgets what is past retention
            history.purge()
            st.session_state.purged = True
    except KBQAError as exc:
        st.error(str(exc))
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
