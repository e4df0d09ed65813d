"""The cited source in a dialog: the passage around the quote, the PDF page, the sheet around the cell.

What is shown comes from app/source_view.py; here it is only drawn. A document's text reaches the page
escaped (Markdown through app.present.escape, the sheet through html.escape), never as markup."""

from __future__ import annotations

import html

import streamlit as st

from app.answer import Assistant
from app.errors import KBQAError
from app.present import citation_md
from app.schema import Citation
from app.settings import Settings
from app.source_view import Table, page_png, paragraph_md, view

CELL_STYLE = "border:1px solid #d0d0d0;padding:2px 8px"
CITED_STYLE = f"{CELL_STYLE};background:#ffd54f;font-weight:bold;outline:2px solid #f57f17"


def table_html(table: Table) -> str:
    """The sheet window as an HTML table (every value escaped) with the cited cell highlighted."""
    head = "".join(f'<th style="{CELL_STYLE}">{html.escape(c)}</th>' for c in ("", *table.columns))
    body = []
    for r, (label, row) in enumerate(zip(table.index, table.rows, strict=True)):
        cells = []
        for c, value in enumerate(row):
            cited = (r, c) == table.cell
            attrs = f' class="kbqa-cited" style="{CITED_STYLE}"' if cited else f' style="{CELL_STYLE}"'
            cells.append(f"<td{attrs}>{html.escape(value)}</td>")
        body.append(f'<tr><th style="{CELL_STYLE}">{html.escape(label)}</th>{"".join(cells)}</tr>')
    return (f'<table class="kbqa-sheet" style="border-collapse:collapse;font-size:0.9em">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def source_button(c: Citation, key: str) -> None:
    """The button under a citation; the dialog opens on the run it causes (chat page: show_source)."""
    st.button("查看原文", key=f"src-{key}", on_click=lambda: st.session_state.update(source=c))


@st.dialog("查看原文", width="large")
def show_source(settings: Settings, assistant: Assistant, c: Citation, admin: bool) -> None:
    st.markdown(citation_md(c))
    v = view(assistant.store, c, settings.kb_dir)
    if v.note:
        st.caption(v.note)
    if v.table is not None:
        where = "原表格中" if v.table.origin == "file" else "由索引中该表的单元格拼成的表格中"
        st.caption(f"所引单元格在{where}以黄色标出。")
        st.html(table_html(v.table))
    text = [paragraph_md(p) for p in v.paragraphs]
    if v.page is not None and v.file is not None:
        left, right = st.columns(2)
        try:
            left.image(page_png(v.file, v.page), caption=f"第 {v.page} 页")
        except KBQAError as exc:
            left.warning(str(exc))
        with right:
            for t in text:
                st.markdown(t)
    else:
        for t in text:
            st.markdown(t)
    if admin and v.file is not None:
        st.download_button("下载原文件", v.file.read_bytes(), file_name=v.file.name, on_click="ignore",
                           key=f"download-{c.chunk_id}")
