"""Calibrated refusal: one hard gate on the question's constraints and one fitted threshold on a score.

The extractor picks the best evidence it can find; whether that evidence answers *this* question is
decided here, once, after extraction:

- the **gate**: every place, organisation, year and period the question names (the plan's constraints) must
  appear in the lead citation's chunk, its heading path or its document title (a place also in the
  document's headline or signature, app/doc_edges.py, or elsewhere in it when the chunk says 我市). A figure of another city,
  town, year or period is never an answer ('辽宁省…' answered from a 天津 passage is refused). Metric words
  are not gated: a question's 收入 may be a passage's 营收.
- the **threshold**: a tiny logistic model over a few named question-level features of the lead evidence
  (`FEATURES`: the fitted candidate scorer's probability for it, its weighted term coverage, whether the
  question named constraints it carries, the share of question words the index lacks) gives the odds that the answer is right; it must reach the
  threshold. Weights and threshold are fitted together by `python -m bench.fit` on the fit files only
  (cross-validated) and written to app/data/refusal.json with what they were fitted on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from app.constraints import period_named, place_stem, place_suffixes
from app.doc_edges import headline, signature
from app.errors import KBQAError
from app.extract import Extracted, match_form
from app.query import Query
from app.rank import CONTEXT_WEIGHT as CONTEXT_CREDIT
from app.rank import PLAN_NOUNS
from app.schema import Chunk, Hit
from app.scorer import sigmoid
from app.siblings import document_chunks
from app.store import Store
from app.text import DATA_DIR, _pos_tokenizer, normalize, tokenizer

# CONTEXT_CREDIT: a term found in the lead chunk or its headings but not in the cited sentence counts as
# much as in the extractor's own coverage; a prior, not fitted: the threshold is fitted over the score.
THRESHOLD_FILE = DATA_DIR / "refusal.json"


# The refusal model's features, in order (judge computes them; bench/fit.py fits their weights).
FEATURES: dict[str, str] = {
    "probability": "log-odds of the fitted candidate scorer's probability for the lead candidate (app/scorer.py)",
    "coverage": "weighted share of the question's terms in the lead evidence (sentence 1, chunk/headings CONTEXT_CREDIT)",
    "constrained": "the question names a place, organisation, year or period (all found: the gate passed)",
    "unknown": "idf-weighted share of the question's topic nouns the index never mentions (app/rank.py)",
}
NAMES = tuple(FEATURES)


@dataclass(frozen=True)
class Verdict:
    """What refusal.judge found about one extracted answer."""

    score: float  # the refusal model's probability that the lead answers the question, 0..1
    missing: tuple[str, ...]  # the question's places/organisations/years/periods the lead evidence lacks
    features: tuple[float, ...] = ()  # the model's inputs, in NAMES order (bench/fit.py refits on them)

    def refuses(self, threshold: float) -> bool:
        return bool(self.missing) or self.score < threshold


@dataclass(frozen=True)
class Model:
    """p = sigmoid(bias + sum w_i x_i) over NAMES: few named weights, each readable in the data file."""

    weights: tuple[float, ...]
    bias: float

    def __call__(self, x: Sequence[float]) -> float:
        return sigmoid(self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True)))


def _fitted() -> dict[str, object]:
    try:
        data = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KBQAError(f"无法读取拒答模型 {THRESHOLD_FILE}：{exc}。请重新运行 python -m bench.fit --write。") from None
    if not isinstance(data, dict):
        raise KBQAError(f"{THRESHOLD_FILE} 应为 JSON 对象：请重新运行 python -m bench.fit --write。")
    return data


@cache
def threshold() -> float:
    """The fitted "no answer" threshold on the model's probability (app/data/refusal.json, `python -m bench.fit`)."""
    value = _fitted().get("threshold")
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise KBQAError(f"{THRESHOLD_FILE} 中的 threshold 应为 0 到 1 之间的数，实际为 {value!r}：请重新运行 python -m bench.fit --write。")
    return float(value)


@cache
def model() -> Model:
    """The fitted refusal model (app/data/refusal.json); a file for other features is refused with how to refit."""
    data = _fitted()
    weights, bias = data.get("weights"), data.get("bias")
    if not isinstance(weights, dict) or list(weights) != list(NAMES) or not isinstance(bias, (int, float)) \
            or not all(isinstance(w, (int, float)) for w in weights.values()):
        raise KBQAError(f"{THRESHOLD_FILE} 的 weights 应为 {list(NAMES)} 各一个数、bias 为一个数：请重新运行 python -m bench.fit --write。")
    return Model(tuple(float(weights[n]) for n in NAMES), float(bias))


def log_odds(p: float) -> float:
    """The scorer's probability as log-odds, clipped (a probability of 0 or 1 is no infinite evidence)."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def evidence(chunk: Chunk) -> str:
    """Everything the gate may read for one chunk: its words, its resolved index text (去年 -> 2025年,
    the heading path), its periods, year in force and its document's year (a notice dated 2020 that says
    '1月25日'), its title; in match form."""
    record = f"{chunk.record.fact} {chunk.record.period}" if chunk.record else ""
    years = " ".join(f"{y}年" for y in (*chunk.periods, chunk.default_year, chunk.doc_date[:4]) if y)
    return match_form(f"{chunk.title} {chunk.heading_path} {chunk.text} {chunk.index_text} {record} {years}")


def _named(term: str, hay: str) -> bool:
    """A place or organisation is named when the text has it whole, without its administrative suffix
    ('辽宁' for 辽宁省), or has every word of it ('天津开发区' in '天津经济技术开发区')."""
    term = match_form(term)
    if term in hay or place_stem(term) in hay or _area_stem(term) in hay:
        return True
    words = [w for w in tokenizer().cut(term) if len(w) >= 2]
    return len(words) > 1 and all(place_stem(w) in hay for w in words)


def _area_stem(term: str) -> str:
    """'苏格兰地区' -> '苏格兰', '华北地区' -> '华北': a name that ends in a common noun for an area
    (app/data/area_nouns.txt) is named by what comes before it. place_stem strips only the administrative
    suffix and leaves '苏格兰地', which no text writes. Only those nouns: any noun ending ('港区', '银行',
    '大学') would let '嘉兴' name 嘉兴港区 and a city's figure answer a question about its port district."""
    for noun in area_nouns():
        if term.endswith(noun) and len(term) - len(noun) >= 2:
            return term[: -len(noun)]
    return term


@cache
def area_nouns() -> tuple[str, ...]:
    """The area nouns of app/data/area_nouns.txt, longest first."""
    lines = (DATA_DIR / "area_nouns.txt").read_text(encoding="utf-8").splitlines()
    return tuple(sorted((w.strip() for w in lines if w.strip() and not w.startswith("#")), key=len, reverse=True))


def gated_places(plan: Query) -> tuple[str, ...]:
    """The named places the evidence must name (`named_place`): of a chain of places written one after the
    other ('上海市金山区山阳镇', '泰州市海陵区') only the last, the most specific; a text about 山阳镇 need
    not repeat its city."""
    text = normalize(plan.resolved)
    out = []
    for place in filter(named_place, plan.places):
        at = text.find(place)
        if at >= 0 and any(text.startswith(other, at + len(place)) for other in plan.places if other != place):
            continue
        out.append(place)
    return tuple(out)


def gated_orgs(plan: Query) -> tuple[str, ...]:
    """Organisations the evidence must name; one whose name starts with a place ('江西省人民政府',
    '湖南省委', '天津开发区') or follows one ('青山市人民政府') is named where its place is, as a text says
    '本局' or '省委' of itself."""
    text = normalize(plan.resolved)
    out = []
    for org in plan.orgs:
        at = text.find(org)
        if at > 0 and any(text.endswith(place, 0, at) for place in plan.places):
            continue  # '青山市人民政府': the place before it is gated, the generic body is not
        out.append(_place_part(org) or org)
    return tuple(out)


def named_place(place: str) -> bool:
    """Whether a place the plan read is a name, not a common noun jieba tags ns ('车辆上路', '城市的运行',
    '上市', '新区': its dictionary tags them ns). A two-character word of jieba's dictionary is a name only when the dictionary also holds it with a place suffix, an area noun
    or a place word after it (武汉市, 华北地区, 日本政府: app/data/place_words.txt); a common noun takes none.
    Longer words ('青山市', '东湖街道') and words the dictionary lacks (read by jieba's model or by the
    question's structure: '当湖') are names. Over the fit questions' places it drops, besides those common
    nouns, mostly pieces of mis-tagged person names ('巴克', '海斯'); a few real names go ungated ('西贡')."""
    freq = tokenizer().FREQ
    if len(place) != 2 or not freq.get(place):
        return True
    return any(freq.get(place + word) for word in place_followers())


@cache
def place_followers() -> tuple[str, ...]:
    """What may follow a place's name in a dictionary word: place suffixes, area nouns, app/data/place_words.txt."""
    lines = (DATA_DIR / "place_words.txt").read_text(encoding="utf-8").splitlines()
    words = tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))
    return (*place_suffixes(), *area_nouns(), *words)


def _place_part(org: str) -> str:
    """The longest leading place name of an organisation's name (a word jieba tags ns), or '': '湖南' of
    '湖南队', '浙江省' of '浙江省人民政府'."""
    for end in range(len(org) - 1, 1, -1):
        pieces = list(_pos_tokenizer().cut(org[:end]))  # type: ignore[attr-defined]
        if len(pieces) == 1 and pieces[0].flag == "ns":
            return org[:end]
    return ""


def missing(plan: Query, chunk: Chunk, document: Sequence[Chunk] = ()) -> tuple[str, ...]:
    """The constraints of the plan that the chunk (with its headings and title) does not name. Years count
    when the question writes them ('2025年'); a relative one (上年, 去年) is read by the extractor, not gated:
    in a question that also writes a year it is relative to that year, not to the day asked. With the
    chunk's `document` (all its chunks), a place the chunk calls by its own level ('我市', '全市' for a
    市) counts as named when the document names it (`self_named`), and so does a place its headline names
    (`headline`) or its issuer signs with (`signature`)."""
    hay = evidence(chunk)
    sign = match_form(f"{headline(document)} {signature(document)}") if document else ""
    out = [p for p in dict.fromkeys((*gated_places(plan), *gated_orgs(plan)))
           if not _named(p, hay)
           and not (document and p in plan.places and (self_named(p, chunk, document) or (sign and _named(p, sign))))]
    out += [f"{y}年" for y in plan.years if y in plan.text and y not in hay]
    out += [p for p in (*([plan.months] if plan.months else []), *plan.periods) if not period_named(p, hay)]
    return tuple(out)


_SELF = ("我", "本", "全")  # '我市', '本市', '全市': a local text names its own place by its level only
_LEVELS = "省市区县州镇乡村"


def self_named(place: str, chunk: Chunk, document: Sequence[Chunk]) -> bool:
    """Whether a chunk speaks of the place as of itself: it says 我市 / 本市 / 全市 (the level of the
    place's suffix; any level for a bare name, '武汉') and its document names the place in another chunk
    or its title. A city's notice says '我市定点医院' and names the city once, in its first lines or its
    signature; its passages are about that city as much as a sentence that names it."""
    level = next((s[-1] for s in place_suffixes() if place.endswith(s) and len(place) > len(s) and s[-1] in _LEVELS), "")
    text = normalize(chunk.text)
    if not any(f"{word}{lv}" in text for word in _SELF for lv in (level or _LEVELS)):
        return False
    return any(_named(place, evidence(other)) for other in document if other.id != chunk.id)


def coverage(plan: Query, quote: str, chunk: Chunk) -> float:
    """Weighted share of the plan's terms the lead evidence carries: full credit in the cited sentence,
    CONTEXT_CREDIT elsewhere in the chunk, its headings or title."""
    terms = [t for t in plan.terms if t.text not in PLAN_NOUNS]  # '有什么工作安排': 安排 names the answer's form
    total = sum(t.weight for t in terms)
    if not total:
        return 0.0
    sentence, hay = match_form(quote), evidence(chunk)
    got = 0.0
    for term in terms:
        words = (term.text, *term.synonyms)
        got += term.weight * (1.0 if any(w in sentence for w in words) else CONTEXT_CREDIT if any(w in hay for w in words) else 0.0)
    return got / total


def judge(plan: Query, result: Extracted, hits: list[Hit], store: Store | None = None) -> Verdict | None:
    """The verdict on an answerable result (None for a refusal, or when the lead chunk is not among the hits,
    e.g. a list of headings the extractor read from the store). With the `store`, a place the lead chunk
    lacks is looked for in its document when the chunk calls it by its level ('我市': `self_named`)."""
    if not result.answerable or not result.citations:
        return None
    lead = result.citations[0]
    chunk = next((h.chunk for h in hits if h.chunk.id == lead.chunk_id), None)
    if chunk is None:
        return None
    lacks = missing(plan, chunk)
    if lacks and store is not None and any(p in plan.places for p in lacks):
        lacks = missing(plan, chunk, document_chunks(store, chunk))
    if plan.qtype == "headings" or result.structural:
        # a list of sibling sections, or the items of a section the question names, is not scored: the asked
        # words sit in the heading, not in each item
        return Verdict(1.0, lacks)
    constrained = bool(plan.places or plan.orgs or plan.periods or plan.months or any(y in plan.text for y in plan.years))
    x = (log_odds(result.score), round(coverage(plan, lead.quote, chunk), 4), float(constrained and not lacks),
         result.unknown)
    return Verdict(round(model()(x), 4), lacks, x)
