"""Where a document names itself: its headline, its label lines and its signature (app.gate reads them).

A notice or a page names its place and issuer at its edges: the title lines it opens with, the label lines
of a government site's page ('发布机构：…'), the signature and date under its last sentence. Its passages in between say 各区县, 我市 or nothing, yet are about that
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
# a label line: a short label of Han characters after a space or another label, a colon, and one value
# up to the next space ('索引号：… 发布机构：青山市经信局 发文日期：…'); addressees ('各企业：') run on into a
# sentence and end at a clause mark, so they are no label
_LABEL = re.compile(r"(?:^|(?<=[\s:：]))[\u4e00-\u9fff]{2,6}[:：]\s*([^\s:：，,。；;！？!?]+)(?=\s|$)")
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


def labels(document: Sequence[Chunk]) -> str:
    """The values of the label lines the document opens with, before its first sentence ends ('索引号：…
    发布机构：青山市经信局 发文日期：2026-02-10'), joined; '' when it has none. A page copied from a
    government site carries its issuer there, not in a headline: the headline ends at the first colon,
    so the issuer's place, the place of every passage below, was never read."""
    if not document:
        return ""
    text = normalize(document[0].text)
    end = _SENTENCE_END.search(text)
    return " ".join(_LABEL.findall(text[: end.end()] if end else text))  # a value running into 。 is a sentence
