"""The answer to 'when was this document issued': the date its signature or its 发布日期 line states.

Why a path of its own: a document's issue date stands where no sentence does, on the signature's last line
('平湖市经济和信息化局 / 2025年12月20日') or in a 发布日期 line the chunker took for a heading, so no ranked
candidate holds it and the ranker answers with a date the text speaks of (when the rule takes effect, when
applications close). The document is the best hit's, and the question must name its kind, the noun its
title ends with ('…通知是哪天发出的'; 'ChatGPT的发布时间' asks a launch, not a document); its date is the one ingest recorded for it (a policy's
印发 date, else the document's own date), and the answer cites the chunk that states it.
"""

from __future__ import annotations

from functools import cache

from app.choose import Extracted
from app.compose import citation, defuse_markers
from app.query import Query
from app.schema import Chunk, Hit
from app.siblings import document_chunks
from app.status import base_title
from app.store import Store
from app.text import word_list

TITLE_HEAD = 2  # characters: the noun a document's title ends with, its kind ('办法', '通知', '措施')


@cache
def issue_words() -> tuple[str, ...]:
    """The words that ask for a document's own issue date (app/data/issue_words.txt)."""
    return word_list("issue_words.txt")


def cn_date(iso: str) -> str:
    """'2025-12-20' -> '2025年12月20日' ("" for anything else): how a Chinese document writes the date."""
    parts = iso[:10].split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return ""
    return f"{int(parts[0])}年{int(parts[1])}月{int(parts[2])}日"


def issued_answer(store: Store, query: Query, hits: list[Hit]) -> Extracted | None:
    """'…办法是哪天印发的': the best hit's document's issue date, in the words of the line that states it,
    cited to its chunk; None when the question asks another date or the document states none."""
    if query.qtype != "date" or not hits or not any(w in query.text for w in issue_words()):
        return None
    top = hits[0].chunk
    kind = base_title(top.title)[-TITLE_HEAD:]
    if len(kind) < TITLE_HEAD or kind not in query.text:
        return None  # '…发布时间' of a product or an event: the question names no document of the hit's kind
    info = store.manifest.get("files", {}).get(top.source, {})
    date = cn_date((info.get("policy") or {}).get("issued") or top.doc_date)
    if not date:
        return None
    for chunk in reversed(document_chunks(store, top)):  # the signature closes the document
        line = _stating(chunk, date)
        if line:
            title = defuse_markers(chunk.title or chunk.source)
            cite = citation(1, chunk, line)
            return Extracted(f"《{title}》：{defuse_markers(line)}[1]。", True, (cite,), evidence=line,
                             heading_path=chunk.heading_path, title=chunk.title, structural=True)
    return None


def _stating(chunk: Chunk, date: str) -> str:
    """The line of a chunk (its heading included) that states the date; a line that is the date alone is
    joined to the line before it, the issuer's name ('平湖市经济和信息化局 2025年12月20日')."""
    lines = [ln.strip() for ln in [chunk.heading_path.rsplit(" > ", 1)[-1], *chunk.text.splitlines()] if ln.strip()]
    for i, line in enumerate(lines):
        if date in line:
            return f"{lines[i - 1]} {line}" if line == date and i > 0 else line
    return ""
