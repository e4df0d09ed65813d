"""Numerals read as numbers: Chinese integers and decimals (三十五亿, 四十五点三), Arabic ones with grouping,
whole numbers and years (二〇二六, '25) — the values app/readings.py gives each pattern's match."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.patterns import D

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
SCALE = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000),
         "百": Decimal(100)}


def _cn_int(s: str) -> int | None:
    """Chinese integer: 三十五, 一百零五, 一亿二千万, 三万亿; 二〇二五 read digit by digit (years)."""
    if len(s) == 4 and all(c in _CN_DIGITS for c in s):
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    total, section, biggest = 0, 0, 0
    digit: int | None = None
    for c in s:
        if c in _CN_DIGITS:
            if digit:  # two digits in a row (十四五, 两三十): a name or a range, no one value
                return None
            digit = _CN_DIGITS[c]
        elif c in _CN_SMALL:
            if digit is None and c != "十":
                return None
            section += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
        else:
            section += digit or 0
            digit = None
            big = _CN_BIG[c]
            if section == 0 and total == 0:
                return None
            if section == 0:  # 万亿
                total, biggest = total * big, biggest * big
            elif big > biggest:
                total, biggest = (total + section) * big, big
            else:
                total += section * big
            section = 0
    return total + section + (digit or 0)


def cn_number(s: str) -> Decimal | None:
    """Chinese numeral to Decimal: 三十五亿 -> 3500000000, 四十五点三 -> 45.3; None when it has no one value."""
    whole, _, frac = s.partition("点")
    scale = Decimal(1)
    if frac:
        m = re.fullmatch(rf"([{D}]+)(万亿|亿|万)?", frac)
        if not m:
            return None
        frac, scale = m.group(1), SCALE[m.group(2)] if m.group(2) else Decimal(1)
    n = _cn_int(whole) if whole else 0
    if n is None:
        return None
    value = Decimal(n)
    if frac:
        value += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value * scale


def number_of(s: str) -> Decimal | None:
    """An Arabic (thousands grouped or not) or Chinese numeral -> Decimal; None when it has no one value."""
    if s and s[0].isdigit():
        try:
            return Decimal(s.replace(",", ""))
        except InvalidOperation:
            return None
    return cn_number(s)


def whole_number(s: str) -> int | None:
    """12 / 十二 / 二〇二六 (a year, digit by digit) -> the integer; None when it is no whole number."""
    n = number_of(s)
    return int(n) if n is not None and n == n.to_integral_value() else None


def year_of(s: str) -> int | None:
    """A year as written: 2025, 二〇二五, and two digits (25 -> 2025, 98 -> 1998); None when it is no whole number."""
    n = whole_number(s)
    if n is None:
        return None
    return n if n >= 100 else (2000 + n if n < 70 else 1900 + n)
