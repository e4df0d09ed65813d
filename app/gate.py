"""The refusal gate: the places, organisations, years and periods a question names must be in the evidence.

Every place, organisation, year and period the question names (the plan's constraints) must appear in the
lead citation's chunk, its heading path or its document title (a place also in the document's headline,
label lines or signature, app/doc_edges.py, or elsewhere in it when the chunk says 我市). A figure of another
city, town, year or period is never an answer ('辽宁省…' answered from a 天津 passage is refused). Metric
words are not gated: a question's 收入 may be a passage's 营收. app/refusal.py judges the lead with this gate
and the fitted threshold; app/answer.py looks again, in a wider pool, for passages the gate passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from app.constraints import period_named, place_stem, place_suffixes
from app.doc_edges import headline, labels, signature
from app.extract import match_form
from app.query import Query
from app.schema import Chunk
from app.siblings import document_chunks
from app.store import Store
from app.tags import pos_tokenizer
from app.text import normalize, word_list
from app.tokens import tokenizer


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


# a short name keeps characters of the full name: '人社部' skips four between 人 and 社 (人力资源社会保障部)
ABBREVIATION_GAP = 4


def short_for(name: str, hay: str) -> bool:
    """Whether the text writes an organisation's full name for the short one the question uses: '国税局' for
    国家税务总局, '人社部' for 人力资源社会保障部. A Chinese short name keeps characters of the full name in
    their order, its first and last among them, with at most ABBREVIATION_GAP Han characters between two
    kept ones; names of fewer than three characters are left to exact matching ('财政' would find any text)."""
    if len(name) < 3:
        return False
    gap = f"[\u4e00-\u9fff]{{0,{ABBREVIATION_GAP}}}"
    return re.search(gap.join(map(re.escape, match_form(name))), hay) is not None


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
    return tuple(sorted(word_list("area_nouns.txt"), key=len, reverse=True))


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
    return (*place_suffixes(), *area_nouns(), *word_list("place_words.txt"))


def _place_part(org: str) -> str:
    """The longest leading place name of an organisation's name (a word jieba tags ns), or '': '湖南' of
    '湖南队', '浙江省' of '浙江省人民政府'."""
    for end in range(len(org) - 1, 1, -1):
        pieces = list(pos_tokenizer().cut(org[:end]))  # type: ignore[attr-defined]
        if len(pieces) == 1 and pieces[0].flag == "ns":
            return org[:end]
    return ""


def missing(plan: Query, chunk: Chunk, document: Sequence[Chunk] = ()) -> tuple[str, ...]:
    """The constraints of the plan that the chunk (with its headings and title) does not name. Years count
    when the question writes them ('2025年'); a relative one (上年, 去年) is read by the extractor, not gated:
    in a question that also writes a year it is relative to that year, not to the day asked. With the
    chunk's `document` (all its chunks), a place the chunk calls by its own level ('我市', '全市' for a
    市) counts as named when the document names it (`self_named`), and so does a place its headline names
    (`headline`) or its issuer signs with (`signature`). An organisation is also named by its full name when
    the question writes a short one (`short_for`)."""
    hay = evidence(chunk)
    sign = match_form(f"{headline(document)} {labels(document)} {signature(document)}") if document else ""
    out = [p for p in dict.fromkeys((*gated_places(plan), *gated_orgs(plan)))
           if not _named(p, hay) and not (p in plan.orgs and short_for(p, hay))
           and not (document and p in plan.places and (self_named(p, chunk, document) or (sign and _named(p, sign))))]
    out += [f"{y}年" for y in plan.years if y in plan.text and y not in hay]
    out += [p for p in (*([plan.months] if plan.months else []), *plan.periods) if not period_named(p, hay)]
    return tuple(out)


def self_named(place: str, chunk: Chunk, document: Sequence[Chunk]) -> bool:
    """Whether a chunk speaks of the place as of itself: it says 我市 / 本街道 / 全区 (a self word,
    app/data/self_words.txt, before the place's level: `levels`) and its document names the place in
    another chunk or its title. A city's notice says '我市定点医院' and names the city once, in its first
    lines or its signature; its passages are about that city as much as a sentence that names it."""
    text = normalize(chunk.text)
    if not any(f"{word}{level}" in text for word in self_words() for level in levels(place)):
        return False
    return any(_named(place, evidence(other)) for other in document if other.id != chunk.id)


def levels(place: str) -> tuple[str, ...]:
    """The words a text uses for the place's own level: its suffix whole ('东湖街道' -> 街道, '临川开发区'
    -> 开发区) and, where the suffix's last character is a suffix itself, that character too (自治区 ->
    区: 全区); every suffix for a bare name ('武汉'). A district's passage that says 我市 speaks of its
    city, not of itself."""
    suffixes = place_suffixes()
    for suffix in suffixes:  # longest first: 开发区 before 区
        if place.endswith(suffix) and len(place) > len(suffix):
            return tuple(dict.fromkeys(s for s in (suffix, suffix[-1]) if s in suffixes))
    return suffixes


@cache
def self_words() -> tuple[str, ...]:
    """The self words of app/data/self_words.txt ('我', '本', '全')."""
    return word_list("self_words.txt")


def lacks(plan: Query, chunk: Chunk, store: Store | None = None) -> tuple[str, ...]:
    """What the gate finds missing for one passage: `missing` over the chunk, and when a place is missing
    and the `store` is given, again with the chunk's document (it says 我市, or its headline, label lines
    or signature name the place). The one test for both the lead (app.refusal.judge) and the wider pool a gate miss
    looks in again (app.answer): a passage the lead would pass with must not be dropped from that pool."""
    out = missing(plan, chunk)
    if out and store is not None and any(p in plan.places for p in out):
        out = missing(plan, chunk, document_chunks(store, chunk))
    return out
