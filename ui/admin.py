"""The knowledge-base page: the document list for everyone; upload, delete and rescan for admins."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from app.answer import Assistant
from app.errors import KBQAError
from app.present import text_md
from app.settings import Settings


def build_index(settings: Settings, label: str) -> Any:
    """Run ingest over kb/ with a progress display; returns the summary, or None when it could not run:
    another ingest (an admin, the CLI, cron) kept the index busy past KBQA_INGEST_WAIT_S, or the index
    folder is refused. Either is said on the page, never as a traceback."""
    from app.index_files import IndexBusyError
    from ingest.index import run_ingest

    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="读取文件…")

        def progress(items: Any) -> Any:
            items = list(items)
            for i, item in enumerate(items, start=1):
                bar.progress(i / max(1, len(items)), text=text_md(f"读取文件 {i}/{len(items)}：{item[1].name}"))
                yield item

        pages = st.empty()

        def on_page(message: str) -> None:
            """One step per OCR'd page: a scan of many pages takes minutes, so its own bar moves."""
            done = re.search(r"（(\d+)/(\d+)）", message)
            share = int(done.group(1)) / max(1, int(done.group(2))) if done else 0.0
            pages.progress(min(1.0, share), text=text_md(message))

        try:
            summary = run_ingest([settings.kb_dir], settings, progress=progress, on_page=on_page)
        except IndexBusyError as exc:
            status.update(label="正在更新索引…（另一项建索引操作尚未完成）", state="error")
            st.warning(text_md(f"正在更新索引：{exc}"))
            return None
        except KBQAError as exc:
            status.update(label="索引失败", state="error")
            st.error(text_md(str(exc)))
            return None
        status.update(label=f"索引完成：新增 {summary.chunks_added} 个片段，删除 {summary.chunks_removed} 个，用时 {summary.seconds:.1f} 秒",
                      state="complete" if not summary.skipped else "error")
        for s in summary.skipped:
            st.error(text_md(f"{s['path']}：{s['reason']}"))
    return summary


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
