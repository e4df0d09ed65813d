"""Typed values in Chinese text, found by one scanner: numbers with their unit (Arabic, Chinese numerals,
mixed forms such as 1.2万亿, English amounts), percent, ‰, 个百分点, years, dates to the day, month spans
(1—11月, 一季度, 上半年), ranks (第二, 首位) and top-n bounds (前十), and the literal kinds (phone
numbers, e-mail addresses, URLs, document numbers 〔2025〕12号).

Why one scanner (over one set of patterns, app/patterns.py): whether a claim's figure is the source's
figure depends on both sides being read the same way, so every stage that handles figures should share
the same patterns and the same notion of equality. Each value carries a normalised `key` (equal keys mean equal values: 1.5亿 and 15000万 are both
150000000; 45.3% and 45.30%; 首位 and 第一) and the text right after it (`tail`), where its unit starts
(app/readings.py `unit_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.patterns import EMAIL, ENGLISH, URL, half_width
from app.readings import PATTERNS, unit_of

# currency symbols and codes are a closed set; written out in Chinese so 1.5 billion HK$ meets 15亿港元
_CURRENCY = {"us$": "美元", "$": "美元", "usd": "美元", "dollar": "美元", "dollars": "美元", "hk$": "港元",
             "hkd": "港元", "rmb": "元", "cny": "元", "¥": "元", "￥": "元", "yuan": "元", "eur": "欧元",
             "€": "欧元", "euro": "欧元", "euros": "欧元", "gbp": "英镑", "£": "英镑", "pound": "英镑",
             "pounds": "英镑", "jpy": "日元"}


@dataclass(frozen=True)
class Value:
    """One typed value found in a text.

    kind: number, percent, permille, points, year, date, months, rank, top, phone, email, url, docno,
    or unparsed (looks like a figure, e.g. 两三十亿, but has no single value).
    key: the normalised value; two values of one kind are equal when their keys are. number/percent/
    permille/points: (Decimal,); year: (2025,); date: (year or None, month, day or None); months: (year or
    None, first month, last month); rank/top: (n,); docno: (year, number); the rest: (text,).
    """

    kind: str
    key: tuple[Any, ...]
    raw: str
    start: int
    end: int
    tail: str = ""  # up to 8 characters after the value: its unit starts here
    before: str = ""  # up to 30 characters before it: the scope of a rank (全省第二), the issuer of a 文号

    @property
    def unit(self) -> str:
        return unit_of(self.tail)


_STARTS = [re.compile(f"[{starts}]") for _, starts, _ in PATTERNS]
# a run of digits or letters is one place (values start at its first character); so is any other start
_ANCHOR = re.compile("[0-9]+|[A-Za-z]+|[" + "".join(starts for _, starts, _ in PATTERNS) + "]")
# patterns tried only in texts that have what they need (most sources have no URL, e-mail or English amount)
_NEEDS = {URL: re.compile(r"://|www\."), EMAIL: re.compile("@"), ENGLISH: re.compile("[A-Za-z$¥￥€£]")}


@lru_cache(maxsize=1024)
def _candidates(ch: str) -> tuple[int, ...]:
    return tuple(i for i, starts in enumerate(_STARTS) if starts.match(ch))


def scan(text: str) -> list[Value]:
    """Every typed value in the text, in order, none overlapping: at each place where a value can start,
    the patterns that can start there are tried and the longest reading wins."""
    norm = half_width(text)
    off = {i for i, (p, _, _) in enumerate(PATTERNS) if p in _NEEDS and not _NEEDS[p].search(norm)}
    out: list[Value] = []
    done = 0
    for anchor in _ANCHOR.finditer(norm):
        start = anchor.start()
        if start < done:
            continue
        best: tuple[re.Match[str], tuple[str, tuple[Any, ...]]] | None = None
        for i in _candidates(norm[start]):
            if i in off:
                continue
            pattern, _, build = PATTERNS[i]
            m = pattern.match(norm, start)
            if m and m.end() > (best[0].end() if best else start) and (built := build(m, norm)):
                best = (m, built)
        if best:
            out.extend(_values(text, *best))
            done = best[0].end()
    return out


def _values(text: str, m: re.Match[str], built: tuple[str, tuple[Any, ...]]) -> list[Value]:
    start, end = m.span()
    kind, key = built
    before = text[max(0, start - 30) : start]
    if kind == "years":  # a year range states both years
        return [Value("year", (y,), text[m.start(g) : m.end(g)], m.start(g), m.end(g), "", before)
                for g, y in zip("ab", key, strict=True)]
    tail = _english_unit(m) if m.re is ENGLISH else text[end : end + 8]
    if kind == "rank" and m.group("first") == "首位":
        tail = "位" + tail  # 首位 is 第一位
    return [Value(kind, key, text[start:end].strip(), start, end, tail, before)]


def _english_unit(m: re.Match[str]) -> str:
    for name in (m.group("cur"), m.group("word")):
        if name and name.lower() in _CURRENCY:
            return _CURRENCY[name.lower()]
    return ""
