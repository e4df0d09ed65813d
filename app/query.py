"""The question plan: what is asked, about what, under which constraints — computed once per question.

`analyze()` returns a frozen `Query` (the plan) that retrieval, the extractor and the refusal gate all read;
none of them analyses the question again. Lexicons are data files under app/data/ (question words, metric
words, term weights by part of speech, place suffixes); constraints come from jieba's part-of-speech tags
(ns place, nt organisation, nr/nz names) and from the question's structure, never from lists of names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from app.errors import ConfigError
from app.patterns import DOCNO
from app.text import (
    DATA_DIR,
    STOPWORDS,
    _pos_tokenizer,
    expand,
    normalize,
    pos_tag,
    resolve_dates,
    synonyms,
    tokenize,
    years_in,
)


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

_BARE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d年.%])")
MONTH_SPAN = re.compile(r"\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月")
# other periods a question can name besides years and month spans: quarters and half years
_PERIOD = re.compile(r"第?[一二三四1-4]\s*季度|前[一二三1-3]\s*个?季度|[上下]半年")
_NAME_TAGS = ("nr", "nz", "nrt")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_NOT_NAME = frozenset({"v", "vn", "d", "c", "u", "uj", "r", "m", "q", "f"})  # '驻' before a place name: a verb, not part of it


@cache
def question_word_lists() -> dict[str, list[list[str]]]:
    """app/data/question_words.json as written: (label, regular expression) lists by key, read once for
    app.query and app.values."""
    raw: dict[str, list[list[str]]] = json.loads((DATA_DIR / "question_words.json").read_text(encoding="utf-8"))
    return raw


@cache
def _question_words() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    raw = question_word_lists()
    return {key: [(label, re.compile(rx)) for label, rx in raw[key]] for key in ("asked", "legacy", "wants")}


def _first(key: str, text: str, default: str) -> str:
    """The label of the first question word of `key` that asks in the text. A word of the lists that holds no
    interrogative (时间, 日期, 条件, 增速: the noun of what is asked) asks only where the question has no
    interrogative naming the asked kind elsewhere: in '第一时间部署建立了什么机制' 什么 asks for a 机制, and
    第一时间 (at once) asks no date; in '实施时间是什么' and '什么时间实施' 时间 is what is asked."""
    kind = _asked_kind(text)
    return next((label for label, rx in _question_words()[key] if any(
        kind is None or _INTERROGATIVE.search(m.group(0)) or (m.start() < kind[1] and kind[0] < m.end())
        for m in rx.finditer(text))), default)


@lru_cache(maxsize=4096)
def _asked_kind(text: str) -> tuple[int, int] | None:
    """The span of 什么 / 哪… with the noun after it ('什么机制', '哪些项目'): the kind the question asks for;
    None when no interrogative is followed by a noun ('时间是什么')."""
    words = [(p.word, p.flag) for p in _pos_tokenizer().cut(text)]  # type: ignore[attr-defined]
    at = 0
    for i, (word, _) in enumerate(words):
        if _KIND_ASKED.search(word) and i + 1 < len(words) and words[i + 1][1].startswith("n"):
            return at, at + len(word) + len(words[i + 1][0])
        at += len(word)
    return None


_INTERROGATIVE = re.compile(r"[哪几谁何]|多少|什么")
_KIND_ASKED = re.compile(r"什么|哪")  # '是', '有', '签约了', '共': what states the asked value, not what it is of


def _asking_spans(text: str) -> list[tuple[int, int]]:
    """Where the question's question words stand ('哪天', '多少'): the asked-type words that ask."""
    return [m.span() for _, rx in _question_words()["asked"] for m in rx.finditer(text) if _INTERROGATIVE.search(m.group(0))]


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


@cache
def _function_words() -> tuple[frozenset[str], frozenset[str]]:
    """app/data/function_words.txt: (the part-of-speech tags of function words, the modal verbs)."""
    table: dict[str, frozenset[str]] = {}
    for line in (DATA_DIR / "function_words.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, *words = line.split()
            table[key] = frozenset(words)
    return table["tags"], table["modal"]


def function_word(token: str) -> bool:
    """Whether a question's token carries no topic: a conjunction, preposition or particle by jieba's tag,
    or a modal verb (jieba tags 要, 能, 应当 as verbs). A content word is weighed by its idf,
    and one the index never holds as a token ('要') weighed like the rarest topic word: the evidence for
    '要建设哪些项目' then looked weak and the question was refused."""
    tags, modal = _function_words()
    return token in modal or _word_tag(token) in tags


@dataclass(frozen=True)
class TermWeights:
    """The fitted factors of app/data/term_weights.json (written by `python -m bench.fit_terms --write`): one
    factor per part-of-speech / name class (`class_tags` names each class's jieba tags), `default` for tags of
    no class, one factor for a token a synonym brought in, and the fusion weights of BM25 and vector ranks.
    Kept together because they were fitted together."""

    classes: dict[str, float]
    class_tags: dict[str, tuple[str, ...]]
    default: float = 1.0
    synonym: float = 1.0
    part: float = 1.0
    bm25: float = 1.0
    vector: float = 0.5  # fitted with the default hashing embedding
    vector_model: float = 0.5  # with an embedding model (KBQA_EMBED_MODEL): not fitted, none to fit with here
    rrf_k: float = 60.0
    coverage: float = 0.0  # share of the keyword score that is term coverage rather than BM25 (app.retrieve)
    by_tag: dict[str, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        factors = [*self.classes.values(), self.default, self.synonym, self.part]
        if any(f < 0 for f in factors) or self.bm25 < 0 or min(self.vector, self.vector_model) < 0 or self.bm25 + min(self.vector, self.vector_model) <= 0 or self.rrf_k <= 0:
            raise ConfigError(f"term_weights.json 有误：因子与融合权重不能为负，BM25 与向量权重之和须大于 0，rrf_k 须大于 0"
                             f"（读到 {self}）。请用 python -m bench.fit_terms --write 重新生成。")
        if not 0.0 <= self.coverage < 1.0:
            raise ConfigError(f"term_weights.json 有误：fusion.coverage 应在 0 与 1 之间（不含 1），读到 {self.coverage}。"
                              "请用 python -m bench.fit_terms --write 重新生成。")
        if set(self.classes) != set(self.class_tags):
            raise ConfigError(f"term_weights.json 有误：类别 {sorted(self.classes)} 与其词性表 {sorted(self.class_tags)} 不一致。")
        object.__setattr__(self, "by_tag", {t: self.classes[c] for c, tags in self.class_tags.items() for t in tags})

    def factor(self, tag: str) -> float:
        return self.by_tag.get(tag, self.default)

    def factor_of_class(self, name: str) -> float:
        return self.classes.get(name, self.default)

    def to_json(self) -> dict[str, object]:
        return {"default": self.default, "synonym": self.synonym, "part": self.part,
                "fusion": {"bm25": self.bm25, "vector": self.vector, "vector_model": self.vector_model, "rrf_k": self.rrf_k,
                           "coverage": self.coverage},
                "classes": {c: {"tags": list(self.class_tags[c]), "factor": f} for c, f in self.classes.items()}}

    @staticmethod
    def from_json(raw: dict[str, Any]) -> TermWeights:
        classes, fusion = raw["classes"], raw.get("fusion", {})
        return TermWeights({str(c): float(v["factor"]) for c, v in classes.items()},
                           {str(c): tuple(str(t) for t in v["tags"]) for c, v in classes.items()},
                           float(raw.get("default", 1.0)), float(raw.get("synonym", 1.0)), float(raw.get("part", 1.0)),
                           float(fusion.get("bm25", 1.0)), float(fusion.get("vector", 0.5)), float(fusion.get("vector_model", 0.5)),
                           float(fusion.get("rrf_k", 60)), float(fusion.get("coverage", 0.0)))


@cache
def term_weights() -> TermWeights:
    """The shipped factors, read once."""
    return TermWeights.from_json(json.loads((DATA_DIR / "term_weights.json").read_text(encoding="utf-8")))


@cache
def place_suffixes() -> tuple[str, ...]:
    """Administrative-division suffixes (app/data/places.txt), longest first."""
    lines = (DATA_DIR / "places.txt").read_text(encoding="utf-8").splitlines()
    return tuple(sorted((w.strip() for w in lines if w.strip() and not w.startswith("#")), key=len, reverse=True))


def place_stem(place: str) -> str:
    """'辽宁省' -> '辽宁', '当湖街道' -> '当湖': the name a text may use without its suffix (kept whole when
    the name would be shorter than two characters: '沙县')."""
    for suffix in place_suffixes():
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


_CN_QUARTERS = "一二三四"


def period_named(period: str, text: str) -> bool:
    """Whether a text names a period of the question in any of its forms: '一季度' as 一季度, 1季度 or
    第一季度; '上半年' as itself; a month span ('1-11月') by its numbers ('1至11月', '1—11 月')."""
    if digits := re.findall(r"\d+", period):
        spans = ("-".join(re.findall(r"\d+", m)) for m in re.findall(r"\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月", text))
        return "-".join(digits) in spans or period in text
    if m := re.search(f"([{_CN_QUARTERS}1-4])\\s*个?季度", period):
        n = m.group(1)
        forms = {n, _CN_QUARTERS[int(n) - 1] if n.isdigit() else str(_CN_QUARTERS.index(n) + 1)}
        return any(re.search(f"{f}\\s*个?季度", text) for f in forms)
    return period in text


@dataclass(frozen=True)
class Term:
    """A content word of the question with its weight: idf in the index x its part-of-speech factor."""

    text: str
    tag: str
    weight: float
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Key:
    """One BM25 token of the question: its part-of-speech tag (whose factor weighs its BM25 score; BM25
    already carries the idf), whether a synonym of a question word brought it in, and whether it is a piece
    of a longer token of the question (search mode yields '上海' '海市' besides '上海市': without a factor of
    their own the pieces count a name three times, '海市' included)."""

    token: str
    tag: str
    synonym: bool = False
    part: bool = False

    def weight(self, weights: TermWeights) -> float:
        return weights.factor(self.tag) * (weights.synonym if self.synonym else 1.0) * (weights.part if self.part else 1.0)


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
    resolved = resolve_dates(text, today.year if today else None)
    dated = DOCNO.sub(" ", resolved)  # '平经信〔2023〕5号': the year of a document number names the document, no period
    years = tuple(dict.fromkeys(years_in(dated) + _BARE_YEAR.findall(dated)))
    months = m.group(0) if (m := MONTH_SPAN.search(resolved)) else ""
    metric = next((m for w, m in _METRIC_ORDER if w.lower() in resolved.lower()), "")
    base = [t for piece in _measure_cut(resolved) for t in tokenize(piece)]
    asking = _asking_spans(resolved.lower())
    content = tuple(t for t in dict.fromkeys(base) if not t.isdigit() and t not in years
                    and not _asking_only(t, resolved.lower(), asking, frozenset(base))
                    and not function_word(t))
    tagged = [(p.word, p.flag) for p in _pos_tokenizer().cut(resolved)]  # type: ignore[attr-defined]
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
        qtype=_first("legacy", resolved, "other"),
        wants=_first("wants", resolved, ""),
        today=today,
        asked=_first("asked", resolved, "description"),
        terms=_terms(content, idf),
        periods=tuple(dict.fromkeys(p.replace(" ", "") for p in _PERIOD.findall(resolved))),
        places=places_in(tagged),
        orgs=tuple(dict.fromkeys(w for w, f in tagged if f == "nt" and len(w) >= 2)),
        names=tuple(dict.fromkeys(w for w, f in tagged if f in _NAME_TAGS and len(w) >= 2)),
        facets=tuple(_analyze(p, today, idf, facets=False) for p in parts),
        keys=_keys(base),
    )


_COUNT = re.compile(r"(?:多少|几)([\u4e00-\u9fff])")


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
    tagged = {m.end() for m in _COUNT.finditer(text) if _word_tag(m.group(1)) == "q"}
    cuts = sorted(listed | tagged)
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if a < b]


@lru_cache(maxsize=65536)
def _word_tag(word: str) -> str:
    """pos_tag, remembered: a question's words recur across questions, and tagging costs ~0.3 ms a word."""
    return pos_tag(word)


def _keys(base: list[str]) -> tuple[Key, ...]:
    """The question's tokens, then the tokens of their synonyms (as `expand`), each with its tag."""
    out = {t: Key(t, _word_tag(t), part=_is_part(t, base)) for t in base}
    table = synonyms()
    for tok in base:
        for syn in table.get(tok, ()):
            pieces = tokenize(syn)
            for t in pieces:
                out.setdefault(t, Key(t, _word_tag(t), synonym=True, part=_is_part(t, pieces)))
    return tuple(out.values())


def _is_part(token: str, tokens: list[str]) -> bool:
    return any(len(other) > len(token) and token in other for other in tokens)


def _terms(content: tuple[str, ...], idf: Callable[[str], float] | None) -> tuple[Term, ...]:
    """Each content word weighted idf x part-of-speech factor (RAGFlow's term weight, factors from data)."""
    weights = term_weights()
    table = synonyms()
    out = []
    for word in content:
        tag = _word_tag(word)
        factor = weights.factor(tag)
        rarity = max((idf(w) for w in (word, *table.get(word, ()))), default=1.0) if idf else 1.0
        out.append(Term(word, tag, round(rarity * factor, 4), table.get(word, ())))
    return tuple(out)


def places_in(tagged: list[tuple[str, str]]) -> tuple[str, ...]:
    """Places by structure: a word tagged ns, or a word ending in an administrative suffix (街道, 镇, 港镇)
    with the name right before it: single characters or name words ('当' '湖' '街道' -> '当湖街道'; jieba
    tags some place names as person names: '白沙' '省'). The name
    must be two characters at least ('全省' is no place); a place name before another place stays its own
    ('平湖市' '独山港镇')."""
    suffixes = place_suffixes()
    out: list[str] = []
    used = -1
    for i, (word, flag) in enumerate(tagged):
        if _suffix_word(word, flag, suffixes):
            start = i
            # a suffix word that is a place by itself ('海淀区', '杭州市') takes no name before it:
            # '重点商超海淀区', '国杭州市' are no places
            while start - 1 > used and place_stem(word) == word:
                prev, prev_flag = tagged[start - 1]
                name = "".join(w for w, _ in tagged[start - 1 : i])
                if not _HAN.fullmatch(prev) or prev in STOPWORDS or prev.endswith(suffixes) or len(name) > 4 \
                        or (len(prev) > 1 and prev_flag not in (*_NAME_TAGS, "ns", "j")) or prev_flag in _NOT_NAME:
                    break
                start -= 1
            place = "".join(w for w, _ in tagged[start : i + 1])
            if len(place_stem(place)) < len(place) or (flag == "ns" and len(word) >= 2):
                out.append(place)
                used = i
        elif flag == "ns" and len(word) >= 2 and not _suffix_ahead(tagged, i + 1, suffixes) \
                and not (i > 0 and tagged[i - 1][1] == "r"):  # '哪些东西': the asked thing, not a place
            out.append(word)
            used = i
    return tuple(dict.fromkeys(out))


def _suffix_word(word: str, flag: str, suffixes: tuple[str, ...]) -> bool:
    """An administrative suffix, alone or with one character more ('镇', '港镇'), or a place word ending in
    one; a longer common noun that ends in one ('住宅小区') is none."""
    if not word.endswith(suffixes) or word in STOPWORDS:
        return False
    return flag == "ns" or len(word) <= 2 or len(place_stem(word)) <= 1


def _suffix_ahead(tagged: list[tuple[str, str]], j: int, suffixes: tuple[str, ...]) -> bool:
    """Whether a suffix word follows at j, or after one single character ('新桥' '港' '镇'): the name is
    then part of the longer place."""
    for word, flag in tagged[j : j + 2]:
        if _suffix_word(word, flag, suffixes):
            return True
        if len(word) != 1 or not _HAN.fullmatch(word):
            return False
    return False


def concept_groups(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each content token with its synonyms: a group is covered when any member appears."""
    table = synonyms()
    return [(t, *table.get(t, ())) for t in tokens]
