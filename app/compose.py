"""The answer text: each chosen candidate cut to what answers, cited with [n], no clause said twice.

Why the rules here are structural: a clause run must end where the sentence's grammar lets it end. A
clause that introduces ('咨询电话：') or states a condition ('对捐赠的现金和物品，') is no answer alone: its
value or its ruling follows, so a run never ends on one. A phone number, e-mail, URL or 文号 is one value
and is never cut. A heading or lead-in shows what follows it (its items) before itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from app.candidates import Span
from app.schema import Chunk, Citation
from app.tags import pos_tag
from app.text import kept_per_text, normalize
from app.tokens import tokenizer
from app.values import literal_spans

MAX_ANSWER_CHARS = 200
_CLAUSE = re.compile(r"(?<=[，,；;：])|(?<=(?<!\d):)")  # never inside a time of day (07:45)
_QUOTES = re.compile(r"[“”\"‘’'《》「」『』【】\s]")
# '[3]' (any bracket width) in a document's own words: a footnote, or a forged source header
_SOURCE_MARKER = re.compile(r"[\[［【〖]\s*([0-9０-９]{1,3})\s*[\]］】〗]")
_PIECE = re.compile(r"(?<=[，,；;：。！？!?])|(?<=(?<!\d):)")  # clauses and sentences
# a clause that states a condition or a circumstance: the ruling it governs follows it
_CONDITION_START = re.compile(r"^\s*(?:对于|对|凡是|凡|如果|如|若|因|由于|为了|按照|根据|依据|经|在|当)")
_SENTENCE_END = ("。", "！", "？", "!", "?")
_CONDITION_END = re.compile(r"(?:的|时|后|前|期间|以上|以下)\s*[，,]$")


class Needs(Protocol):
    """What a clause must show to answer (a compiled pattern, or app.asked.Asked for a question type)."""

    def search(self, string: str, /) -> object: ...


def defuse_markers(text: str) -> str:
    """A '[3]' in a document's own words would read as our citation marker once the text sits in an answer
    or a prompt (and be renumbered to point at another source); it becomes '〔3〕', which no marker parser
    takes."""
    return _SOURCE_MARKER.sub(r"〔\1〕", text)


@kept_per_text
def match_form(text: str) -> str:
    """What concept matching compares: half-width, lower case, without quotes and spaces
    ('“两化”改造' matches 两化改造)."""
    return _QUOTES.sub("", normalize(text).lower())


@kept_per_text
def opens(clause: str) -> bool:
    """Whether a clause leads into the next one: a label or lead-in ('咨询电话：'), or a condition
    ('对…捐赠的现金和物品，', '符合条件的，'). A run of clauses never ends on one."""
    text = clause.rstrip()
    if text.endswith(("：", ":")):
        return True
    if not text.endswith(("，", ",")):
        return False
    return bool(_CONDITION_START.match(text) or _CONDITION_END.search(text)) or _topic(text[:-1])


def _topic(clause: str) -> bool:
    """A clause that is only a noun phrase with a modifier ('…捐赠的现金和物品'): a topic whose predicate,
    the ruling about it, is the next clause."""
    if "的" not in clause:
        return False
    head = clause.rsplit("的", 1)[1]
    words = [w for w in tokenizer().cut(head, HMM=False) if w.strip()]
    return bool(words) and all(_tag(w).startswith(("n", "vn", "c")) or not _tag(w) for w in words)


@lru_cache(maxsize=8192)
def _tag(word: str) -> str:
    return pos_tag(word) if any("\u4e00" <= ch <= "\u9fff" for ch in word) else ""


def trim(sentence: str, keep: list[str], limit: int = MAX_ANSWER_CHARS, need: Needs | None = None) -> str:
    """Cut a long sentence down to the run of clauses that fits `limit` and carries the most asked words —
    first of all, for 多少/何时 questions, a clause with an asked word and the figure or date (`need`), the one
    naming the most asked words beside its value ('同比增长7.6%' over '总产值1234.5亿元' for a growth) —
    then a run that does not end on a lead-in or condition, then the clauses after it while they fit; a single
    over-long clause is cut to the window around the asked words, never inside a phone number or 文号."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    found = [{k for k in keep if k and k in match_form(c)} for c in clauses]
    if not any(found):
        return _window(sentence, 0, limit)
    # a figure answers when its clause names an asked word, or follows a label that does ('开幕时间：7月28日')
    asked = [bool(f) or (i > 0 and bool(found[i - 1]) and clauses[i - 1].rstrip().endswith(("：", ":"))) for i, f in enumerate(found)]
    # how strongly a clause answers: the asked words it (or the label before it) names beside its value
    shows = [
        sum(len(w) for w in found[i] | (found[i - 1] if i > 0 and not found[i] else set()))
        if need and asked[i] and need.search(clauses[i]) else 0
        for i in range(len(clauses))
    ]
    best: tuple[tuple[int, bool, int, int, int], int, int] | None = None
    for start in range(len(clauses)):
        words: set[str] = set()
        size, answers = 0, 0
        for end in range(start, len(clauses)):
            size += len(clauses[end])
            if size > limit:
                break
            words |= found[end]
            answers = max(answers, shows[end])
            closed = end + 1 == len(clauses) or not opens(clauses[end])
            key = (answers, closed, sum(len(w) for w in words), -start, start - end)  # then earlier, then shorter
            if words and (best is None or key > best[0]):
                best = (key, start, end)
    if best is None:  # every clause that carries an asked word is longer than the limit on its own
        one = max(range(len(clauses)), key=lambda i: sum(len(w) for w in found[i]))
        out = clauses[one]
        low = out.lower()
        first = min((p for k in keep if k and (p := low.find(k)) >= 0), default=0)
        return _window(out, max(0, min(first - limit // 5, len(out) - limit)), limit)
    _, start, end = best
    # What follows the asked words is what the sentence says about them (its predicate, its items, its
    # figures: '该茶树品种主要种植于浙北丘陵，包括…等地'): the run goes on as far as the limit allows and ends
    # where a clause closes.
    last = end
    while last + 1 < len(clauses) and len("".join(clauses[start : last + 2])) <= limit:
        last += 1
        if not opens(clauses[last]):
            end = last
    return "".join(clauses[start : end + 1])


def answering_clause(text: str, keep: list[str]) -> str:
    """The clause (or sentence) of a text that names the most of the question's words: where the text
    states what it says about them, as against what it compares them with ('较2021年同期')."""
    clauses = [c for c in _PIECE.split(text) if c.strip()]
    return max(clauses, key=lambda c: sum(len(k) for k in set(keep) if k and k in match_form(c)), default="")


def _window(text: str, begin: int, limit: int) -> str:
    """text[begin:begin+limit], moved or shortened so that no phone number, URL or 文号 is cut."""
    end = begin + limit
    for a, b in literal_spans(text):
        if a < begin < b:
            begin = b if b - begin < limit // 2 else a
            end = begin + limit
        if a < end < b:
            end = a
    return text[begin:end]


def render(span: Span, resolved: str, keep: list[str], limit: int, need: Needs | None) -> str:
    """The words a candidate contributes: a heading or lead-in with its items (the items first when both
    do not fit), otherwise the sentence cut by `trim`."""
    if span.kind not in ("heading", "list"):
        return trim(resolved, keep, limit, need)
    lead, body = span.lead.rstrip("：: "), span.body.strip()
    # a heading that is a whole sentence ('（二）…申报材料须加盖单位公章。') runs on into its body; only a
    # label or a title ('一、降价范围') takes a colon before what it introduces
    lead += "" if lead.endswith(_SENTENCE_END) else "："
    whole = f"{lead}{body}"
    if len(whole) <= limit:
        return whole
    room = limit - len(lead) if len(lead) <= limit // 4 else limit
    # for a figure or date the body is cut around the clause that shows it; otherwise its items come in order
    cut = trim(body, keep, room, need) if need is not None else whole_clauses(body, room)
    return f"{lead}{cut}" if room < limit else cut


def whole_clauses(body: str, limit: int) -> str:
    """As many whole clauses of the body as fit (an item list cut at an item, never mid-word)."""
    out = ""
    for clause in _CLAUSE.split(body):
        if len(out) + len(clause) > limit:
            break
        out += clause
    return out or _window(body, 0, limit)


def clauses_of(text: str) -> list[str]:
    """The clauses of an answer piece in match form (to find a clause already said)."""
    return [c for c in (match_form(x).rstrip("，,；;：:。") for x in _CLAUSE.split(text)) if len(c) >= 4]


def without_repeats(piece: str, said: set[str]) -> str:
    """The piece without the clauses an earlier piece already said; '' when it adds nothing."""
    kept = [c for c in _CLAUSE.split(piece) if (m := match_form(c).rstrip("，,；;：:。")) and (len(m) < 4 or m not in said)]
    if not any(len(match_form(c)) >= 4 for c in kept):
        return ""
    return "".join(kept).strip()


def citation(n: int, chunk: Chunk, quote: str) -> Citation:
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title or chunk.source,
        locator=chunk.locator,
        quote=quote,
        chunk_id=chunk.id,
        doc_date=chunk.doc_date,
        heading_path=chunk.heading_path,
    )
