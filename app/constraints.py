"""Constraints: the years, periods and places a question is pinned to, and how a text names them.

The plan (app/query.py) records the question's constraints; the extractor and the refusal gate then ask
whether a passage names the same period or place in any of its written forms ('一季度' / '第一季度' / '1季度',
'辽宁省' / '辽宁'). Places are found by structure (jieba's ns tag, or a name before an administrative suffix of
app/data/places.txt), never from a list of names. It is separate because matching a constraint against a
passage is read far from the plan, by the stages that check an answer.
"""

from __future__ import annotations

import re
from functools import cache

from app.text import STOPWORDS, word_list

BARE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d年.%])")
MONTH_SPAN = re.compile(r"\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月")
# other periods a question can name besides years and month spans: quarters and half years
PERIOD = re.compile(r"第?[一二三四1-4]\s*季度|前[一二三1-3]\s*个?季度|[上下]半年")
NAME_TAGS = ("nr", "nz", "nrt")
# a year as a point of reference, not the time of the sentence's event: '继1987年以后', '自2019年以来', '比2020年'
_PASSING_YEAR = re.compile(r"(?<=[继自从比较])\s*((?:19|20)\d\d)\s*年|((?:19|20)\d\d)\s*年\s*(?=以来|以后|之后|以前|之前)")
HAN = re.compile(r"[\u4e00-\u9fff]+")
_NOT_NAME = frozenset({"v", "vn", "d", "c", "u", "uj", "r", "m", "q", "f"})  # '驻' before a place name: a verb, not part of it


def years_in_passing(text: str) -> set[str]:
    """The years a text names only as a point of reference (after 继/自/从/比/较, before 以来/以后/之前):
    '本届是继1987年以后再次对决' is about its own year, which its document names, not about 1987."""
    return {a or b for a, b in _PASSING_YEAR.findall(text)}


@cache
def place_suffixes() -> tuple[str, ...]:
    """Administrative-division suffixes (app/data/places.txt), longest first."""
    return tuple(sorted(word_list("places.txt"), key=len, reverse=True))


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
                if not HAN.fullmatch(prev) or prev in STOPWORDS or prev.endswith(suffixes) or len(name) > 4 \
                        or (len(prev) > 1 and prev_flag not in (*NAME_TAGS, "ns", "j")) or prev_flag in _NOT_NAME:
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
        if len(word) != 1 or not HAN.fullmatch(word):
            return False
    return False
