"""The gap report page (admins): questions the knowledge base failed, grouped and counted per week."""

from __future__ import annotations

import streamlit as st

from app.conversations import History
from app.gaps import events, group, rows, to_csv, weekly
from app.settings import Settings


def gaps_page(settings: Settings, history: History, admin: bool, how: str) -> None:
    st.title("知识库缺口报告")
    st.caption("未找到依据的提问、读者点了 👎 的回答、大模型回答中未能核实的数字，按相似问题归并：据此补充文档。")
    if settings.store_questions:
        st.caption(f"提问按设置 KBQA_STORE_QUESTIONS=true 保存，保留 {settings.retention_days} 天（KBQA_RETENTION_DAYS）。")
    else:
        st.warning("当前不保存提问（KBQA_STORE_QUESTIONS=false）：报告里只有开启保存期间的记录，差评也不带问题原文。")
    if not admin:
        st.info(how or "缺口报告需要管理员登录。")
        return
    found = events(history)
    if not found:
        st.info("还没有未找到依据、差评或未核实的问题。")
        return
    table = rows(group(found))
    st.subheader("每周次数")
    st.dataframe(weekly(found), hide_index=True)
    st.subheader(f"按相似问题归并（{len(table)} 组，共 {len(found)} 次）")
    st.dataframe(table, hide_index=True)
    st.download_button("导出 CSV", to_csv(table), file_name="kbqa-gaps.csv", mime="text/csv", on_click="ignore")
