"""The question plan: what is asked, about what, under which constraints — computed once per question.

`analyze()` returns a frozen `Query` (the plan) that retrieval, the extractor and the refusal gate all read;
none of them analyses the question again. Lexicons are data files under app/data/ (question words, metric
words, term weights by part of speech, place suffixes); constraints come from jieba's part-of-speech tags
(ns place, nt organisation, nr/nz names) and from the question's structure, never from lists of names.
This module reads the question words and builds the plan; which words ask (the one list of interrogatives
and the tests built from it) is app/question_words.py, how its terms are weighed is app/terms.py, and how
its years, periods and places are found and matched against a passage is app/constraints.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from app.constraints import BARE_YEAR, MONTH_SPAN, NAME_TAGS, PERIOD, places_in
from app.dates import resolve_dates, years_in
from app.patterns import DOCNO
from app.question_words import (
    COUNT,
    KIND,
    Tagged,
    asks_count,
    count_spans,
    interrogative,
    question_word_lists,
    stands,
)
from app.tags import pos_tokenizer
from app.terms import Key, Term, function_word, keys_of, terms_of, word_tag
from app.text import DATA_DIR, normalize
from app.tokens import expand, tokenize


def _load_metrics() -> dict[str, tuple[str, ...]]:
    """app/data/metrics.txt: the metric name first, then every word that may stand for it."""
    table: dict[str, tuple[str, ...]] = {}
    for line in (DATA_DIR / "metrics.txt").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            table[words[0]] = tuple(words[1:]) or (words[0],)
    return table


# Metric words and what else may stand for them in a source sentence (data: app/data/metrics.txt).
METRICS: dict[str, tuple[str, ...]] = _load_metrics()
_METRIC_ORDER = sorted(((w, m) for m, ws in METRICS.items() for w in ws), key=lambda x: -len(x[0]))


@cache
def _question_words() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    raw = question_word_lists()
    return {key: [(label, re.compile(rx)) for label, rx in raw[key]] for key in ("asked", "legacy", "wants")}


def question_label(key: str, text: str, default: str) -> str:
    """The label of the first question word of `key` that asks in the text. A word of the lists that holds no
    interrogative (时间, 日期, 条件, 增速: the noun of what is asked) asks only where the question has no
    interrogative naming the asked kind elsewhere: in '第一时间启动了什么制度' 什么 asks for a 制度, and
    第一时间 (at once) asks no date; in '实施时间是什么' and '什么时间实施' 时间 is what is asked. A match must
    stand as a word of the question (`stands`: not '为什么' inside '称之为什么', not '标准' of '标准杆'); a count's
    question word with its measure ('几首', '几所', `asks_count`) asks a number whatever the measure."""
    kind = _asked_kind(text)
    tagged = _tagged(text)
    counted = question_word_lists()["count"].get(key)
    return next((label for label, rx in _question_words()[key] if (label == counted and asks_count(tagged)) or any(
        stands(m.start(), m.end(), tagged)
        and (kind is None or interrogative(m.group(0)) or (m.start() < kind[1] and kind[0] < m.end()))
        for m in _every_match(rx, text))), default)


def _every_match(rx: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The matches of a list's expression at every position, overlapping ones too: '排第' of '排|第几' does not
    stand as a word, and '第几' right after it must still be found."""
    return [m for i in range(len(text)) if (m := rx.match(text, i))]


@lru_cache(maxsize=4096)
def _tagged(text: str) -> Tagged:
    """The question's words with jieba's tags, cut once for every list `question_label` reads."""
    return tuple((p.word, p.flag) for p in pos_tokenizer().cut(text))  # type: ignore[attr-defined]


@lru_cache(maxsize=4096)
def _asked_kind(text: str) -> tuple[int, int] | None:
    """The span of 什么 / 哪… with the noun after it ('什么机制', '哪些项目'): the kind the question asks for;
    None when no interrogative is followed by a noun ('时间是什么')."""
    words = _tagged(text)
    at = 0
    for i, (word, _) in enumerate(words):
        if KIND.search(word) and i + 1 < len(words) and words[i + 1][1].startswith("n"):
            return at, at + len(word) + len(words[i + 1][0])
        at += len(word)
    return None


def _asking_spans(text: str) -> list[tuple[int, int]]:
    """Where the question's question words stand ('哪天', '多少'): the asked-type words that ask, and the
    question word of a count whatever its measure ('几' of '几所', which jieba glues into one numeral)."""
    listed = [m.span() for _, rx in _question_words()["asked"] for m in rx.finditer(text) if interrogative(m.group(0))]
    return listed + count_spans(_tagged(text))


def _asking_only(token: str, text: str, spans: list[tuple[int, int]], tokens: frozenset[str] = frozenset()) -> bool:
    """Whether the token stands in the question only inside a question word (`spans`: '天' of '哪天', '一天'
    of '哪一天'): it asks, it names nothing an answer holds, so it is no content word (with an idf of a word the
    index rarely has, it outweighed the question's topic and the evidence looked weak). A two-character token
    that starts inside one asks too: jieba glued the question word's last character to the measure after it
    ('哪几级' -> 哪 + 几级), which counts what is asked and names nothing; so does a longer one whose rest after
    the question word is a token of its own (`tokens`): jieba glued the question word to the asked kind ('哪些项目'),
    and the kind stands in the question as its own token ('项目')."""
    starts = [i for i in range(len(text)) if text.startswith(token, i)]
    return bool(spans and starts) and all(
        any(a <= i and (i + len(token) <= b or (i < b and (len(token) == 2 or token[b - i:] in tokens))) for a, b in spans)
        for i in starts)


@dataclass(frozen=True)
class Query:
    """The question plan. `qtype` is the extractor's older label (numeric | date | rank | entity | list |
    headings | other); `asked` is what the question words ask for (number | date | person | place | list |
    rank | conditions | reason | description)."""

    text: str
    resolved: str
    tokens: tuple[str, ...]
    content: tuple[str, ...]
    years: tuple[str, ...]
    months: str
    metric: str
    qtype: str
    wants: str = ""  # for entity/list questions, the kind of name asked for: nr person, ns place, nt org
    today: dt.date | None = None  # what 去年/今年 were read against; parts of the question are read the same way
    asked: str = "description"
    terms: tuple[Term, ...] = ()
    periods: tuple[str, ...] = ()  # quarters and half years (一季度, 上半年); month spans are `months`
    places: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    facets: tuple[Query, ...] = field(default=())  # 'A和B…分别': one plan per part, split once here
    keys: tuple[Key, ...] = ()  # `tokens` with what weighs them in BM25


Plan = Query


def analyze(question: str, reference_date: dt.date | None = None, idf: Callable[[str], float] | None = None) -> Query:
    """The plan of one question. Relative years (去年/今年) are read against `reference_date`, the date the
    caller got from `Settings.question_date()` where the question entered; without one they stay as written
    (the clock is never read here, so an answer does not change with the day the code runs). `idf` (the
    index's, `Store.idf`) weighs the terms; without it every term weighs its part-of-speech factor alone."""
    return _analyze(question, reference_date, idf, facets=True)


def _analyze(question: str, today: dt.date | None, idf: Callable[[str], float] | None, facets: bool) -> Query:
    text = normalize(question.strip())
    # 本年 (like 本届, 本次) points at the text a question is asked of, not at the day it is asked: '本年总决赛'
    # of a 2008 report is 2008's. A question's 本年 stays a word and pins no year (今年 is the asking day's).
    resolved = "本年".join(resolve_dates(piece, today.year if today else None) for piece in text.split("本年"))
    dated = DOCNO.sub(" ", resolved)  # '平经信〔2023〕5号': the year of a document number names the document, no period
    years = tuple(dict.fromkeys(years_in(dated) + BARE_YEAR.findall(dated)))
    months = m.group(0) if (m := MONTH_SPAN.search(resolved)) else ""
    metric = next((m for w, m in _METRIC_ORDER if w.lower() in resolved.lower()), "")
    base = [t for piece in _measure_cut(resolved) for t in tokenize(piece)]
    asking = _asking_spans(resolved.lower())
    content = tuple(t for t in dict.fromkeys(base) if not t.isdigit() and t not in years
                    and not _asking_only(t, resolved.lower(), asking, frozenset(base))
                    and not function_word(t))
    tagged = [(p.word, p.flag) for p in pos_tokenizer().cut(resolved)]  # type: ignore[attr-defined]
    from app.facets import sub_questions  # app.facets reads this module's question words

    parts = sub_questions(question) if facets else []
    return Query(
        text=question.strip(),
        resolved=resolved,
        tokens=tuple(expand(base)),
        content=content,
        years=years,
        months=months,
        metric=metric,
        qtype=question_label("legacy", resolved, "other"),
        wants=question_label("wants", resolved, ""),
        today=today,
        asked=question_label("asked", resolved, "description"),
        terms=terms_of(content, idf),
        periods=tuple(dict.fromkeys(p.replace(" ", "") for p in PERIOD.findall(resolved))),
        places=places_in(tagged),
        orgs=tuple(dict.fromkeys(w for w, f in tagged if f == "nt" and len(w) >= 2)),
        names=tuple(dict.fromkeys(w for w, f in tagged if f in NAME_TAGS and len(w) >= 2)),
        facets=tuple(_analyze(p, today, idf, facets=False) for p in parts),
        keys=keys_of(base),
    )


@cache
def _measures() -> tuple[re.Pattern[str], ...]:
    """The 'measure' list of question_words.json, compiled once."""
    return tuple(re.compile(rx) for _, rx in question_word_lists()["measure"])


def _measure_cut(text: str) -> list[str]:
    """The question cut after the measure word of each count it asks ('有多少家|规上企业'): a measure stands
    alone after 多少 / 几, but jieba glues it to the next character ('家规', '个规' -> '上工'), and the counted
    noun then lost its first word (规上). Measure words: a match of the 'measure' list of question_words.json,
    or a character after 多少 / 几 that jieba tags as a measure (q); a noun that starts with 少 or 多
    ('多少少数民族企业') keeps it."""
    listed = {m.end() for rx in _measures() for m in rx.finditer(text)}
    tagged = {m.end() for m in COUNT.finditer(text) if word_tag(m.group(1)) == "q"}
    cuts = sorted(listed | tagged)
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if a < b]
