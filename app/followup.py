"""Follow-up questions in extractive mode: carry the previous question's entity and period over.

"2025年人工智能产业规上营收是多少" then "同比增长多少？" -> "2025年人工智能产业同比增长多少？"
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.query import METRICS, analyze

_PRONOUN = re.compile(r"^(那么|那|它们|它|其|这个|该|这|他们|他|她)(的)?")
_TAIL = re.compile(r"(是多少|有多少|多少|是什么|是谁|是哪[家个些位]|有哪些|哪些|怎么样|如何)?[？?。！!]*$")
_FOLLOWUP_HINT = re.compile(r"^(那么|那|它|其|这|该|他|她)|呢[？?]?$|^(同比|增速|增长|排名|占比)")
_METRIC_WORDS = sorted({w for words in METRICS.values() for w in words} | {"规上营收", "规上", "营业收入"}, key=len, reverse=True)


def needs_context(question: str) -> bool:
    """A pronoun/呢 follow-up, or a question that names only a metric or a period and nothing else."""
    q = question.strip()
    if _FOLLOWUP_HINT.search(q):
        return True
    own = [t for t in analyze(q).content if not any(w in t or t in w for w in _METRIC_WORDS)]
    return not own


def rewrite(question: str, history: Sequence[dict[str, str]]) -> str:
    """A standalone question, or the question itself when it does not lean on the conversation."""
    previous = next((m["content"] for m in reversed(history) if m.get("role") == "user" and m.get("content")), "")
    if not previous or not needs_context(question):
        return question.strip()
    subject = _TAIL.sub("", previous.strip())
    new = analyze(question)
    old = analyze(previous)
    if new.years and not [t for t in new.content if t not in ("的", "呢")] and old.years:
        swapped = previous.strip()
        for y in old.years:
            swapped = swapped.replace(f"{y}年", f"{new.years[0]}年")
        return swapped
    if new.metric:
        for word in _METRIC_WORDS:
            subject = subject.replace(word, "")
    asked = _PRONOUN.sub("", question.strip())
    asked = re.sub(r"呢([？?]?)$", r"是多少\1", asked) if new.metric else re.sub(r"呢([？?]?)$", r"\1", asked)
    if not new.years and old.years and not any(y in subject for y in old.years):
        subject = f"{old.years[0]}年{subject}"
    return f"{subject}{asked}" if subject else question.strip()
