"""Typed values in a candidate answer, read by the one scanner in app/scan.py: which kinds a question
type asks for, whether a candidate shows one, which figures two candidates state.

Why a stage of its own: the extractor used to carry its own regexes for figures, dates and ranks (one of
the six copies the issue names); reading values the way verify reads them means an answer leads with a
value that verify will then find in its source, and a phone number or a 文号 is one value, never cut.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.question_words import question_word_lists
from app.scan import Value, scan
from app.text import kept_elsewhere, kept_per_text
from app.tokens import tokenizer

FIGURES = frozenset({"number", "percent", "permille", "points"})
RATES = FIGURES - {"number"}  # a share or a change in points: what a growth-rate question asks
DATES = frozenset({"date", "months", "year"})
RANKS = frozenset({"rank", "top"})
LITERALS = frozenset({"phone", "email", "url", "docno"})  # one unit each: an answer never cuts into them
# what each asked type is answered by (app.query's qtype, or the literal a question names: literal_asked);
# other types ask for no particular value
ASKED = {"numeric": FIGURES | {"phone"}, "date": DATES, "rank": RANKS, **{k: frozenset({k}) for k in LITERALS}}
_WORDS = question_word_lists()
# the word ends the question, bar the asking ('咨询电话是多少？', '文号是什么'): '电话费补助多少' asks a figure
_LITERAL_WORDS = [(kind, re.compile(rf"(?:{rx})(?:号码)?(?:是|为)?(?:多少|什么|啥)?[？?。！!\s]*$")) for kind, rx in _WORDS["literal"]]
_RATE = {kind: re.compile(rx) for kind, rx in _WORDS["rate"]}
_MEASURE = re.compile(_WORDS["measure"][0][1])


@kept_per_text
def asks_rate(question: str) -> bool:
    """Whether a figure question asks a rate or a change ('增速', '占比', '完成率', '增加多少') rather than an
    amount. Some words are read whole only: '增加值' and '完成' are amounts, though 增加 and 成 are words
    of change and share (question_words.json 'rate'). Kept per question text: each pass of a two-part
    question asks it of each part again."""
    return bool(_RATE["text"].search(question)) or any(_RATE["token"].match(w) for w in tokenizer().cut(question))


def asked_measure(question: str) -> str:
    """The measure word a count question names ('多少家' -> 家; 项 and 件 count the same things), or ''."""
    m = _MEASURE.search(question)
    return ("项件" if m.group(1) in "项件" else m.group(1)) if m else ""


def literal_asked(question: str) -> str:
    """The one-piece value a question names as its answer ('文号是多少' -> docno, '咨询电话' -> phone), or ''.
    Such a question is answered by that value only: any figure fitted '…办法的文号是多少' as well."""
    return next((kind for kind, rx in _LITERAL_WORDS if rx.search(question)), "")


@lru_cache(maxsize=4096)
def values(text: str) -> tuple[Value, ...]:
    """Every typed value in the text (cached: the same sentence is read for scoring and for composing)."""
    return tuple(scan(text))


def is_whole(value: Value) -> bool:
    """A value that answers by itself: a figure with its unit (3家, 45.3%, 1.2亿元), a full date (年月 or
    月日), a rank, a phone number. A bare number (an amount without unit) or a bare year answers less."""
    if value.kind in FIGURES:
        if value.kind != "number":
            return True
        # 1193万 is an amount; 19号线, 3号楼, 03合同段 and 24日 name things or days (号 makes an ordinal
        # identifier, 日 a day of the month, a leading zero a code): no measure
        if value.raw.startswith("0") and value.raw[1:2].isdigit():
            return False
        return value.raw.endswith(("万", "亿", "千", "百")) or (bool(value.unit) and not value.unit.startswith(("号", "日")))
    if value.kind == "date":
        year, _, day = value.key
        return year is not None or day is not None
    return value.kind in RANKS | LITERALS


@kept_elsewhere
@lru_cache(maxsize=8192)
def asked_values(qtype: str, text: str) -> tuple[Value, ...]:
    """The values of the asked type in the text, in order. Kept per (type, text), as `fitness` and `figures`
    are: the ranker, agreement and composition read the same candidates' values in each pass of a question
    (each part of a two-part question, then the whole), and filtering every value again cost more than the
    scan that is kept."""
    kinds = ASKED.get(qtype)
    return tuple(v for v in values(text) if v.kind in kinds) if kinds else ()


@kept_elsewhere
@lru_cache(maxsize=8192)
def fitness(qtype: str, text: str) -> float:
    """How well a text shows what the question type asks: 0.3 for a whole value of the asked kind, 0.1 for
    a partial one (a bare number, a year or a month alone), 0 for none or when nothing in particular is
    asked (the weights are the extractor's old ones, kept so that this split changes no answer)."""
    found = asked_values(qtype, text)
    if any(is_whole(v) for v in found):
        return 0.3
    return 0.1 if found else 0.0


@kept_elsewhere
@lru_cache(maxsize=8192)
def figures(text: str) -> frozenset[tuple[str, tuple[object, ...], str]]:
    """The figures a text states, as (kind, normalised value, unit): two sources disagree when they state
    the same thing with no figure in common (15亿元 and 1.5亿元 differ; 1.5亿 and 15000万 are equal)."""
    return frozenset((v.kind, v.key, v.unit) for v in values(text) if v.kind in FIGURES and is_whole(v))


def literal_spans(text: str) -> list[tuple[int, int]]:
    """Where phone numbers, e-mail addresses, URLs and 文号 stand: a cut inside one is never made."""
    return [(v.start, v.end) for v in values(text) if v.kind in LITERALS]
