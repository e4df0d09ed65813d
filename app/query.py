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


_COORD = frozenset({"和", "与", "及", "以及", "、"})
_EACH_ONLY = frozenset({"与", "、"})  # coordinating words that split only a question asking for each part
_ONE_ANSWER = frozenset({"list", "conditions", "reason"})  # asked kinds one passage answers for all parts
_BOUNDARY = frozenset({"的", "分别", "是", "在", "，", ",", "？", "?", "各", "都"})


def sub_questions(question: str) -> list[str]:
    """'2025年人工智能和集成电路产业营收分别是多少' -> ['2025年人工智能产业营收是多少',
    '2025年集成电路产业营收是多少'].

    A question about two things is asked once for each. Of several coordinating words the one joining
    the most specific terms is split ('企业和机构参加了平湖农博会和嘉兴车展' splits the fairs). The two
    terms are aligned on jieba's words: a word the right-hand term repeats from the left one bounds both
    ('2022年和2023年', '东湖街道和新桥街道'); otherwise the right-hand term grows until it
    is as long as the left one ('冬奥会和冬残奥会'), and a two-word right term takes a two-word left one
    ('平湖农博会和嘉兴车展'); a number standing alone on the right takes the left term's head
    ('PHDX2024和2025'). This is the one place a question is split: `analyze()` keeps the parts as facets.
    Returns [] when the question is about one thing.
    """
    from app.text import tokenizer

    text = normalize(question)
    if asked := _asking_clauses(text):
        return asked
    words = [w for w in tokenizer().cut(text) if w.strip()]
    each = _distributive(words)
    # Without a word that asks for each part, only 和/及/以及 split, and only a question for one value per part
    # (a figure, a date, a name): 与 joins the parts of one name ('机器人与数控机床产业集群'), 、 enumerates
    # inside one noun phrase or lists conditions ('对迟到、早退的职工'), and a question for a list, a way
    # or a reason about 'A和B' is answered by the one passage that treats them together.
    by_value = _first("asked", text, "") not in _ONE_ANSWER
    splits = [
        s for i, w in enumerate(words)
        if w in _COORD and (each or (w not in _EACH_ONLY and by_value)) and 0 < i < len(words) - 1
        and (s := _conjuncts(words, i))
    ]
    if not splits:
        return []
    freq = tokenizer().FREQ
    start, i, end = min(splits, key=lambda s: max(freq.get(words[s[1] - 1], 0), freq.get(words[s[2] - 1], 0)))
    head, left, right, tail = ("".join(words[a:b]) for a, b in ((0, start), (start, i), (i + 1, end), (end, len(words))))
    if right.isdigit() and (m := re.match(r"^(.*?)(\d+)$", left)) and m.group(1):
        right = m.group(1) + right  # 'PHDX2024和2025' -> 'PHDX2025'
    return [(head + left + tail).replace("分别", ""), (head + right + tail).replace("分别", "")]


_CLAUSE = re.compile(r"[,，?？;；]")
_PREDICATE = ("v", "ul", "d", "p")
_KIND_ASKED = re.compile(r"什么|哪")  # '是', '有', '签约了', '共': what states the asked value, not what it is of


def _asking_clauses(text: str) -> list[str]:
    """'石化行业产值是多少，在嘉兴排第几？' -> ['石化行业产值是多少', '石化行业产值在嘉兴排第几'].

    Two questions in one line, each clause with its own question word, ask two values: each is asked on its
    own, the later clauses with what the first is about (its words without its question word, the measure
    after it and the predicate before it: '2025年有多少家企业成功升规？新增产值多少？' -> '2025年企业成功升规
    新增产值多少'), since a later clause rarely repeats its subject. Clauses that ask nothing before the first
    question ('在2025年，…') belong to every part; one after it leaves the question whole (it may qualify
    either part). A first clause that is all question ('什么是专精特新企业') lends its naming words. Returns []
    unless at least two clauses ask."""
    clauses = [c for c in _CLAUSE.split(text) if c.strip()]
    asking = [_asks(c) for c in clauses]
    if sum(asking) < 2 or not all(asking[asking.index(True):]):
        return []
    first = asking.index(True)
    lead = "".join(clauses[:first])
    about = _without_question(clauses[first]) or _named_in(clauses[first])
    return [lead + clauses[first], *(lead + about + c for c in clauses[first + 1:])]


_ASKING_WORD = re.compile(r"^(?:第?几|[哪谁何]|多少|什么)(?![哪几谁何十百千万亿])")
_NOT_ASKING_TAGS = ("d", "c", "m", "nr", "ns", "nt", "nz")


def _asking_word(word: str, flag: str) -> bool:
    """Whether a tagged word asks: it starts with a question word ('多少', '几家', '第几', '哪些', '谁') and jieba
    tags it neither an adverb or conjunction that only starts like one ('几乎', '何况') nor a name ('何立峰': the
    surname 何). jieba tags counting question words numerals ('多少', '几家' m), so a numeral asks unless a
    numeral follows its question word ('几百家', '几十个': an approximate number); a question word followed by
    another ('几何', geometry) is a word of its own."""
    if not _ASKING_WORD.match(word):
        return False
    return flag == "m" or not flag.startswith(_NOT_ASKING_TAGS)


def _asks(clause: str) -> bool:
    """Whether a clause has a word that asks (`_asking_word`)."""
    return any(_asking_word(p.word, p.flag) for p in _pos_tokenizer().cut(clause))  # type: ignore[attr-defined]


def _without_question(clause: str) -> str:
    """The clause without its first question word, the measure word after it and the predicate words before
    it ('签约了多少个人工智能项目' -> '人工智能项目'): what the clause asks about. After 多少 / 几 the noun is the
    counted thing, kept; after 什么 / 哪 it is the kind of answer asked ('是什么类型的电影'), dropped."""
    tagged = [(p.word, p.flag) for p in _pos_tokenizer().cut(clause)]  # type: ignore[attr-defined]
    at = next((i for i, (w, f) in enumerate(tagged) if _asking_word(w, f)), None)
    if at is None:
        return clause
    start, end = at, at + 1
    while start > 0 and tagged[start - 1][1] in _PREDICATE:
        start -= 1
    if _KIND_ASKED.search(tagged[at][0]):
        end = len(tagged)  # '是什么类型的电影', '哪家企业': the words after ask the kind of answer, they are not its topic
    elif end < len(tagged) and (tagged[end][1] == "q" or (len(tagged[end][0]) == 1 and _HAN.fullmatch(tagged[end][0]))):
        end += 1  # '多少个', and '多少项' / '多少钱' though jieba tags 项 and 钱 nouns: a measure is one character
    return "".join(w for w, _ in tagged[:start] + tagged[end:])


def _named_in(clause: str) -> str:
    """The clause without its question word, the predicate words next to it and pronouns: what a clause asks
    about when `_without_question` leaves nothing ('什么是专精特新企业': after 什么 every word is dropped as the
    asked kind, yet 专精特新企业 is the subject the later clauses ask about)."""
    tagged = [(p.word, p.flag) for p in _pos_tokenizer().cut(clause)]  # type: ignore[attr-defined]
    at = next(i for i, (w, f) in enumerate(tagged) if _asking_word(w, f))
    start, end = at, at + 1
    while start > 0 and tagged[start - 1][1] in _PREDICATE:
        start -= 1
    while end < len(tagged) and tagged[end][1] in _PREDICATE:
        end += 1
    return "".join(w for w, f in tagged[:start] + tagged[end:] if not f.startswith(("r", "x")))


def _distributive(words: list[str]) -> bool:
    """Whether the question asks for each part: 分别 or 各自 as an adverb (not the noun '的分别', a
    difference), or 各 standing before a verb ('各增长了多少'; '各单位', '各县' only pick out units)."""
    for i, w in enumerate(words):
        after_de = i > 0 and words[i - 1] == "的"
        if w in ("分别", "各自") and not after_de:
            return True
        if w == "各" and i + 1 < len(words) and pos_tag(words[i + 1]).startswith(("v", "d")):
            return True
    return False


def _conjuncts(words: list[str], i: int) -> tuple[int, int, int] | None:
    """(start of the left term, the coordinating word, end of the right term) around words[i]."""
    limit = min(len(words), i + 8)
    stop = next((j for j in range(i + 1, limit) if words[j] in _BOUNDARY), limit)
    repeat = next((j for j in range(i + 1, stop) if words[j] == words[i - 1]), None)
    if repeat is not None and repeat - i <= i:  # '2022年和2023年': both terms end on the same word
        return None if _one_span(words, repeat + 1) else (i - (repeat - i), i, repeat + 1)
    start = next((p for p in range(i - 1, max(-1, i - 5), -1) if words[p] == words[i + 1]), i - 1)
    if start == i - 1 and len(words[start]) == 1 and start > 0 and words[start - 1].isdigit():
        start -= 1  # '2022年' split by jieba into '2022' '年'
    if words[start] in _BOUNDARY:
        return None
    if start == i - 1 and start > 0 and len(words[start - 1]) == 1 and pos_tag(words[start - 1]) == pos_tag(words[start]) == pos_tag(words[i + 1]) == "nr":
        return start - 1, i, i + 2  # a name jieba cut into a one-character and a two-character name: two names
    width = len("".join(words[start:i]))
    end = i + 2
    while end < stop and len("".join(words[i + 1 : end])) < width:
        end += 1
    while end < stop and _modifier(words[end - 1]):
        end += 1  # '揭牌仪式及首次座谈会': a term never ends on its modifier ('首次'), the head it modifies follows
    one_word = start == i - 1 and end - i - 1 == 2 and len(words[i + 1]) >= 2
    if one_word and start > 0 and len(words[start - 1]) > 1 and words[start - 1] not in _BOUNDARY and not words[start - 1].isdigit():
        start -= 1  # '成都大运会和杭州亚运会': a modifier and a head on the right, so on the left too (not '年')
    if width > 12 or len("".join(words[i + 1 : end])) > 12:
        return None
    return None if _one_span(words, end) else (start, i, end)


def _modifier(word: str) -> bool:
    """A word that modifies the noun after it and names nothing alone: an ordinal or a quantity word in
    characters ('首次', '第一'), a distinguishing word ('大型'); a number in digits is a term ('2025')."""
    return not any(ch.isdigit() for ch in word) and pos_tag(word) in ("m", "b")


def _one_span(words: list[str], end: int) -> bool:
    """'A和B之间的区别': a localizer after the right term makes the two terms one place or span, asked about
    once; a part would ask about 'A之间', which nothing answers."""
    return end < len(words) and len(words[end]) > 1 and pos_tag(words[end]) == "f"
