"""How each pattern's match is read as a typed value (kind and normalised key), and the table of patterns
the scanner tries: at one place the longest match wins, then the earlier entry.

Units are not a fixed list: whatever measure word or currency follows a number is its unit (`unit_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.numerals import SCALE, cn_number, number_of, whole_number, year_of
from app.patterns import (
    DATE,
    DOCNO,
    EMAIL,
    ENGLISH,
    ISO_DATE,
    MONTHS,
    NUMBER,
    PERCENT,
    PERMILLE,
    PHONE,
    POINTS,
    RANK,
    TOP,
    URL,
    YEAR,
    YEAR_RANGE,
    D,
)
from app.tags import pos_tag
from app.tokens import tokenizer

_EN_SCALE = {"thousand": Decimal(10) ** 3, "million": Decimal(10) ** 6, "mn": Decimal(10) ** 6,
             "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "trillion": Decimal(10) ** 12}


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=8192)
def unit_of(tail: str) -> str:
    """The unit that starts the tail: its first jieba word when it is Chinese (家, 美元, 平方米, 人次 —
    any measure word or currency, no list), the letters glued to the number (5G, 10GW), else ''."""
    text = tail.lstrip(" ")
    if text and _is_cjk(text[0]):
        word = next(iter(tokenizer().cut(text, HMM=False)))
        return word if all(_is_cjk(c) for c in word) else text[0]
    m = re.match(r"[A-Za-z]+", tail)
    return m.group(0) if m else ""


_Build = Callable[[re.Match[str], str], tuple[str, tuple[Any, ...]] | None]


def _literal(kind: str, clean: Callable[[str], str]) -> _Build:
    return lambda m, text: (kind, (clean(m.group(0)),))


def _docno(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    return "docno", (year_of(m.group("y")), int(m.group("n")))


def _iso(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    return "date", (int(m.group("y")), int(m.group("m")), int(m.group("d")))


def _months(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = year_of(m.group("y")) if m.group("y") else None
    if m.group("a"):
        a, b = whole_number(m.group("a")), whole_number(m.group("b"))
    elif m.group("q"):
        q = whole_number(m.group("q")) or 0
        a, b = 3 * q - 2, 3 * q
    elif m.group("qn"):
        a, b = 1, 3 * (whole_number(m.group("qn")) or 0)
    elif m.group("h"):
        a, b = (1, 6) if m.group("h") == "上" else (7, 12)
    else:
        a, b = 1, whole_number(m.group("n"))
    if a is None or b is None or not 1 <= a < b <= 12:
        return None
    return "months", (y, a, b)


def _date(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = year_of(m.group("y")) if m.group("y") else None
    month, day = whole_number(m.group("m")), whole_number(m.group("d")) if m.group("d") else None
    if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return "date", (y, month, day)


def _year_only(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = year_of(m.group("y") or m.group("yy") or m.group("ap"))
    return ("year", (y,)) if y else None


def _ratio(kind: str) -> _Build:
    def build(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
        groups = m.groupdict()
        v = number_of(groups.get("w") or groups["v"])
        return (kind, (v.normalize(),)) if v is not None else ("unparsed", (m.group(0),))
    return build


def _rank(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    n = 1 if m.group("first") else whole_number(m.group("n"))
    return ("rank", (n,)) if n else None


def _top(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    # 目前/此前/提前 are words; 全省前十 is not (省前 is no word)
    if m.start() > 0 and tokenizer().FREQ.get(text[m.start() - 1 : m.start() + 1]):
        return None
    n = whole_number(m.group("n"))
    return ("top", (n,)) if n else None


def _english(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    cur, scale, word = m.group("cur"), m.group("scale"), m.group("word")
    if not (cur or scale or word):
        return None
    v = number_of(m.group("v"))
    if v is None:
        return None
    return "number", ((v * _EN_SCALE[scale.lower()] if scale else v).normalize(),)


def _plain(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    start = m.start()
    if m.group("ar"):
        if _glued_to_name(text, start) or _list_ordinal(text, start, m.end()):
            return None
        v = number_of(m.group("ar"))
        scale = m.group("scale")
        if v is None:
            return None
        return "number", ((v * SCALE[scale] if scale else v).normalize(),)
    run = m.group("cn")
    strong = any(c in run for c in "万亿点")
    if not strong and not _counted(run, text, m.end()):
        return None
    v = cn_number(run)
    return ("number", (v.normalize(),)) if v is not None else ("unparsed", (m.group(0),))


def _glued_to_name(text: str, start: int) -> bool:
    """GPT-4, iPhone14, C5: digits after letters are part of a name or a cell, not a figure."""
    return bool(_LETTER_BEFORE.search(text[max(0, start - 2) : start]))


_LETTER_BEFORE = re.compile(r"[A-Za-z][-_]?$")  # compiled once: every Arabic number of every new text asks it


def _list_ordinal(text: str, start: int, end: int) -> bool:
    """'1. ' / '2、' / '（3）' at the start of a line or item numbers a list, it states no figure."""
    after, before = text[end : end + 1], text[start - 1 : start] if start else ""
    return after in (".", "、", ")", "）") and not text[end + 1 : end + 2].isdigit() and before in ("", "\n", " ", "\t", "*", ">", "(", "（", "；", ";")


def _counted(run: str, text: str, end: int) -> bool:
    """A Chinese numeral without 万/亿 is a figure only when it counts something: at least two, followed
    by a measure word (三家, 五批, 两年) — not 一是/一些/进一步/二是/十四五规划."""
    if set(run) == {"一"}:
        return False
    nxt = text[end : end + 1]
    return bool(nxt) and _is_cjk(nxt) and _tag(nxt) in ("q", "m", "mq")


@lru_cache(maxsize=4096)
def _tag(ch: str) -> str:
    return pos_tag(ch)


def _years(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    return "years", (int(m.group("a")), int(m.group("b")))


# (pattern, the characters it can start with, builder); at one place the longest match wins, then the
# earlier entry here (第一季度 is a span, not a rank; 3个百分点 is points, not a number)
_DIGITS = "0-9"
PATTERNS: tuple[tuple[re.Pattern[str], str, _Build], ...] = (
    (URL, "hw", _literal("url", str.lower)),
    (EMAIL, "A-Za-z0-9", _literal("email", str.lower)),
    (PHONE, "014", _literal("phone", lambda s: re.sub(r"\D", "", s))),
    (DOCNO, "〔\\[【(（", _docno),
    (ISO_DATE, "12", _iso),
    (YEAR_RANGE, "12", _years),
    (MONTHS, f"{_DIGITS}{D}十第前上下", _months),
    (DATE, f"{_DIGITS}{D}十", _date),
    (YEAR, f"{_DIGITS}{D}'‘’", _year_only),
    (PERCENT, f"{_DIGITS}百", _ratio("percent")),
    (PERMILLE, _DIGITS, _ratio("permille")),
    (POINTS, f"{_DIGITS}{D}十", _ratio("points")),
    (RANK, "第首榜", _rank),
    (TOP, "前", _top),
    (ENGLISH, f"{_DIGITS}A-Za-z$¥￥€£", _english),
    (NUMBER, f"{_DIGITS}{D}十", _plain),
)
