"""Where a document names itself: its headline and its signature (app.refusal's gate reads them).

A notice or a page names its place and issuer at its edges: the title lines it opens with, the signature
and date under its last sentence. Its passages in between say 各区县, 我市 or nothing, yet are about that
place. Read from the document's first and last chunks only, by their structure (clause marks, a date), so
a place mentioned in passing in the body names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.schema import Chunk
from app.text import normalize

_SENTENCE_END = re.compile(r"[。！？!?]")
_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_CLAUSE_MARK = re.compile(r"[，,。；;！？!?：:]")
SIGNATURE_CHARS = 120  # a signature or headline is a line or two of names and a date, not a paragraph


def headline(document: Sequence[Chunk]) -> str:
    """The document's headline: the lines its first chunk opens with before its first clause mark (the
    title as the page prints it, a subtitle, a document number with its issuer: '青政发〔2026〕3号-青山市
    人民政府关于…的通知'), or '' past SIGNATURE_CHARS. A page stored without a title still states its
    subject there; the addressees ('各区县人民政府，白沙新区管委会：') come after the first comma or colon."""
    if not document:
        return ""
    head = _CLAUSE_MARK.split(normalize(document[0].text).lstrip(), maxsplit=1)[0]
    return head if len(head) <= SIGNATURE_CHARS else ""


def signature(document: Sequence[Chunk]) -> str:
    """The document's signature: what follows its last sentence, when that is short and dated ('…特此通告。
    青山市人民政府 2026年2月9日'), or ''. A notice is issued by the body that signs it; the place in its
    name is the place of every passage above, which names it by no more than '各区县' or not at all. A
    news story ends on a sentence or a reporter's name, so it has none: its places are the ones it says."""
    if not document:
        return ""
    tail = _SENTENCE_END.split(normalize(document[-1].text).rstrip())[-1]
    return tail if len(tail) <= SIGNATURE_CHARS and _DATE.search(tail) else ""
