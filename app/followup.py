"""Follow-up questions: the conversation carries the asked period, entity and metric, and a follow-up
replaces the part it names.

    "机器人与数控机床产业集群1—11月营收增速是多少？"
    "绿色石化呢？"  -> "绿色石化1—11月营收增速是多少？"        a new entity: metric and period kept
    "那2024年呢？"  -> "2024年绿色石化1—11月营收增速是多少？"  a new period
    "营收呢？"      -> "2024年绿色石化1—11月营收是多少？"      a new metric

Which part a follow-up names is found by general means: years and month spans by pattern, the metric by
the metric lexicon (`app.query.METRICS`), the entity as the run of nouns that is left — never by a list
of the knowledge base's entities.

The conversation state is the last *standalone* question, so the third follow-up of a chain builds on the
second's rewritten form. History arrives as plain [{"role", "content"}] (the UI's session, the CLI's
--history file: neither is obliged to carry our rewritten form), so the chain is recomputed: the user
turns since the last question that stood on its own are rewritten in order — one jieba pass each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from app.dates import resolve_dates
from app.patterns import MONTH_SPAN, YEAR_AR
from app.query import METRICS
from app.text import normalize

PERIOD_KINDS = ("year", "span")
# a year with or without 年 ('那2024呢'), and a period: a month span (app.patterns.MONTH_SPAN, 1—11月份),
# one month not followed by its day (11月, not 11月5日), 全年, a half year, a quarter
_YEAR = re.compile(rf"(?<![\d.])({YEAR_AR})\s*(?:年度|年)?(?![\d.%])")
_SPAN = re.compile(
    rf"{MONTH_SPAN}份?|(?<![\d—\-–~])\d{{1,2}}\s*月份?(?!\s*\d)|全年|[上下]半年|(?:前|第)?[一二三四1-4]季度"
)
_PRONOUN = re.compile(r"^(?:那么|那)?(?:(?:它们|它|其(?![中他余])|这个|该|这|他们|他|她)的?)?")
_END = re.compile(
    r"(?P<ask>(?:是|为|有)?(?:多少|几何|什么|谁|哪些|哪[家个位里国年])|怎么样|如何)?\s*(?P<ne>呢)?\s*(?P<mark>[？?。！!]*)\s*$"
)
_JOINERS = frozenset("与和及、同")  # between two nouns they belong to one name: 机器人与数控机床产业集群


@dataclass(frozen=True)
class Part:
    kind: str  # year | span | metric | entity | glue | other
    text: str


@dataclass(frozen=True)
class Frame:
    """A question cut into its parts, in their order, and the asking words at its end ('是多少？')."""

    parts: tuple[Part, ...]
    tail: str
    leans: bool = False  # it starts with 那/它/其… or ends with 呢: it speaks of something said before

    def first(self, kind: str) -> str:
        return next((p.text for p in self.parts if p.kind == kind), "")

    def render(self) -> str:
        return "".join(p.text for p in self.parts) + self.tail


def rewrite(question: str, history: Sequence[dict[str, str]], today: dt.date | None = None) -> str:
    """A standalone question, or the question itself when it does not lean on the conversation.

    `today` is the date 去年/今年 are read against (Settings.question_date() where the question entered);
    without it they stay as written.
    """
    state: Frame | None = None
    for turn in _since_last_standalone(history):
        state = _step(turn, state, today)[1]
    return _step(question, state, today)[0]


def needs_context(question: str) -> bool:
    """A pronoun/呢 follow-up, or a question that names nothing but a metric and a period ('同比增长多少？')."""
    frame = _frame(question, follow_up=False)
    return frame.leans or not any(p.kind in ("entity", "other") for p in frame.parts)


def _since_last_standalone(history: Sequence[dict[str, str]]) -> list[str]:
    """The user turns from the last one that stood on its own: earlier ones cannot reach the state."""
    turns = [str(m.get("content") or "").strip() for m in history if m.get("role") == "user"]
    turns = [t for t in turns if t]
    start = next((i for i in range(len(turns) - 1, -1, -1) if not needs_context(turns[i])), 0)
    return turns[start:]


def _step(question: str, state: Frame | None, today: dt.date | None) -> tuple[str, Frame]:
    """The question as it stands on its own, and the state the next turn builds on."""
    text = question.strip()
    resolved = resolve_dates(text, today.year if today else None)
    if state is None or not needs_context(text):
        return text, _frame(resolved, follow_up=False)
    merged = _replace(state, _frame(resolved, follow_up=True))
    return merged.render(), merged


def _replace(base: Frame, new: Frame) -> Frame:
    """The base question with each part the follow-up names swapped for the follow-up's own."""
    parts = list(base.parts)
    for kind in ("year", "span", "entity", "metric"):
        text = new.first(kind)
        at = next((i for i, p in enumerate(parts) if p.kind == kind), None)
        if not text or (kind == "entity" and at is not None and parts[at].text.endswith(text)):
            continue  # '该产业的利润呢' names the head of the entity it points back to: the entity stays
        if at is not None:
            parts[at] = Part(kind, text)
        else:
            parts.insert(_slot(parts, kind), Part(kind, text))
    asks = new.tail.strip("？?。！! ")  # '同比增长多少？' brings its own asking words; '增速呢？' keeps the base's
    return Frame(tuple(parts), new.tail if asks else base.tail)


def _slot(parts: list[Part], kind: str) -> int:
    """Where a part the base question lacks goes: a year first, a month span after the year, an entity
    after the leading period, a metric last (before the asking words)."""
    if kind == "year":
        return 0
    if kind == "span":
        return next((i + 1 for i, p in enumerate(parts) if p.kind == "year"), 0)
    if kind == "entity":
        return next((i for i, p in enumerate(parts) if p.kind not in (*PERIOD_KINDS, "glue")), len(parts))
    return len(parts)


def _frame(text: str, follow_up: bool) -> Frame:
    """Cut a question into parts. A follow-up also sheds its leading 那/它的 and its 呢, keeps only the
    parts it names (its particles go), and words after its last named part are its asking words
    ('营收排名第几？' asks 排名第几 of the 营收)."""
    end = _END.search(text)
    assert end is not None  # every part of the pattern is optional
    body, tail = text[: end.start()], (end.group("ask") or "") + end.group("mark")
    lead = _PRONOUN.match(body)
    leans = bool(end.group("ne") or (lead and lead.group(0)))
    if follow_up and lead:
        body = body[lead.end() :]
    parts = _parts(body)
    if not follow_up:
        return Frame(parts, tail, leans)
    while parts and parts[-1].kind == "other":
        tail = parts[-1].text + tail
        parts = parts[:-1]
    return Frame(tuple(p for p in parts if p.kind not in ("glue", "other")), tail, leans)


def _parts(body: str) -> tuple[Part, ...]:
    """Periods by pattern, then jieba's words of what lies between: metric words, nouns, the rest."""
    plain = normalize(body)  # one character for one: positions found here hold in body
    found = sorted(
        [(m.start(), m.end(), "year", f"{m.group(1)}年") for m in _YEAR.finditer(plain)]
        + [(m.start(), m.end(), "span", body[m.start() : m.end()]) for m in _SPAN.finditer(plain)]
    )
    parts: list[Part] = []
    pos = 0
    for start, stop, kind, text in found:
        if start < pos:
            continue
        parts.extend(_words(body[pos:start]))
        parts.append(Part(kind, text))
        pos = stop
    parts.extend(_words(body[pos:]))
    merged: list[Part] = []
    for part in parts:
        if merged and merged[-1].kind == part.kind and part.kind not in PERIOD_KINDS:
            merged[-1] = Part(part.kind, merged[-1].text + part.text)
        else:
            merged.append(part)
    return tuple(merged)


def _words(piece: str) -> list[Part]:
    """Each word of a period-free piece with its kind; a joiner between two nouns and an adjective before
    one join the name, and a particle after a metric word stays with it ('增长了', '营收的增速')."""
    if not piece.strip():
        return [Part("glue", piece)] if piece else []
    words = [(p.word, p.flag) for p in _posseg().cut(piece)]  # type: ignore[attr-defined]
    kinds = [_kind(w, f) for w, f in words]
    for i, (word, flag) in enumerate(words):
        after = kinds[i + 1] if i + 1 < len(kinds) else ""
        before = kinds[i - 1] if i else ""
        if kinds[i] == "other" and after == "entity" and (flag == "a" or (word in _JOINERS and before == "entity")):
            kinds[i] = "entity"
        elif kinds[i] == "glue" and before == "metric" and after in ("metric", ""):
            kinds[i] = "metric"
    return [Part(k, w) for (w, _), k in zip(words, kinds, strict=True)]


def _kind(word: str, flag: str) -> str:
    if _is_metric(word):
        return "metric"
    if flag.startswith("n") or flag in ("b", "j", "eng", "vn"):
        return "entity"
    if flag.startswith("u") or flag in ("y", "x") or not word.strip():
        return "glue"
    return "other"


@cache
def _metric_words() -> frozenset[str]:
    return frozenset(w.lower() for m, words in METRICS.items() for w in (m, *words))


def _is_metric(word: str) -> bool:
    """A word of the metric lexicon, or a longer word built on one ('规上营收', '同比增长'); a one-character
    entry (税, 亩) counts only as a whole word."""
    w = normalize(word).lower()
    return any(m == w or (len(m) > 1 and m in w) for m in _metric_words())


def _posseg() -> object:
    """jieba's part-of-speech cutter over our dictionary: app.tags' one instance (its word-tag table is
    tens of MB, so it is shared rather than built twice)."""
    from app.tags import pos_tokenizer

    return pos_tokenizer()
