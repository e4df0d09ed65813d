"""👍/👎 under every answer, stored at once with the question, the answer, its citations and the mode."""

from __future__ import annotations

import streamlit as st

from app.schema import Answer
from ui.history import Session


def feedback(answer: Answer, key: str, session: Session) -> None:
    """The vote is stored when it is given; after a vote, an optional comment (stored on Enter)."""
    vote_key, comment_key = f"fb-{key}", f"fbc-{key}"

    def store() -> None:
        score = st.session_state.get(vote_key)
        if score is not None:
            session.history.record_feedback(session.owner, answer, int(score), st.session_state.get(comment_key, ""))

    st.feedback("thumbs", key=vote_key, on_change=store)
    if st.session_state.get(vote_key) is not None:
        st.text_input("补充说明（可选，回车提交）", key=comment_key, max_chars=1000, on_change=store,
                      placeholder="例如：数字是去年的；应引用哪份文件")
