"""Typed values in Chinese text, found by one scanner: numbers with their unit (Arabic, Chinese numerals,
mixed forms such as 1.2万亿, English amounts), percent, ‰, 个百分点, years, dates to the day, month spans
(1—11月, 一季度, 上半年), ranks (第二, 首位) and top-n bounds (前十), and the literal kinds (phone
numbers, e-mail addresses, URLs, document numbers 〔2025〕12号).

Why one module: whether a claim's figure is the source's figure depends on both sides being read the
same way, so every stage that handles figures should share the same patterns and the same notion of
equality. Each value carries a normalised `key` (equal keys mean equal values: 1.5亿 and 15000万 are both
150000000; 45.3% and 45.30%; 首位 and 第一) and the text right after it (`tail`), where its unit starts.
Units are not a fixed list: whatever measure word or currency follows a number is its unit (`unit_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from app.tags import pos_tag
from app.tokens import tokenizer

# full-width ASCII to half-width (１２．５％ -> 12.5%), keeping the Chinese punctuation that separates
# clauses (a full-width comma must not become a thousands separator); one character for one, so offsets hold
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "，；：（）！？"}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_SCALE = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000),
          "百": Decimal(100)}
_EN_SCALE = {"thousand": Decimal(10) ** 3, "million": Decimal(10) ** 6, "mn": Decimal(10) ** 6,
             "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "trillion": Decimal(10) ** 12}
# currency symbols and codes are a closed set; written out in Chinese so 1.5 billion HK$ meets 15亿港元
_CURRENCY = {"us$": "美元", "$": "美元", "usd": "美元", "dollar": "美元", "dollars": "美元", "hk$": "港元",
             "hkd": "港元", "rmb": "元", "cny": "元", "¥": "元", "￥": "元", "yuan": "元", "eur": "欧元",
             "€": "欧元", "euro": "欧元", "euros": "欧元", "gbp": "英镑", "£": "英镑", "pound": "英镑",
             "pounds": "英镑", "jpy": "日元"}

D = "零〇一二两三四五六七八九"
CN_NUMERAL = f"{D}十百千万亿"  # every character of a Chinese numeral (三十五亿)
YEAR_AR = r"(?:19|20)\d\d"  # a year of our era in Arabic digits
AR = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
CN = rf"[{D}十][{D}十百千万亿]*(?:点[{D}]+)?(?:万亿|亿|万)?"
INT = rf"\d+|[{D}十百千]+"
Y4 = rf"{YEAR_AR}|[{D}]{{4}}"
Y4_NIAN = rf"{Y4}|1[0-8]\d\d"  # before 年 an earlier four-digit year reads as one too (建于1889年)
MONTH = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
DAY = r"3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_SPAN_SEP = r"\s*[-—–~至到]\s*"
_TIME_AFTER = r"\s*个?\s*(?:季度|月|年|天|日|周|星期|小时|分钟)"

PHONE = re.compile(r"(?<![\d-])(?:0\d{2,3}[-\s]?\d{7,8}(?:-\d{1,5})?|1[3-9]\d{9}|400-?\d{3}-?\d{4})(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]*[A-Za-z0-9\-_~/#@$&*+=%]")
DOCNO = re.compile(rf"[〔\[【(（](?P<y>{Y4})[〕\]】)）]\s*第?\s*(?P<n>\d+)\s*号")
ISO_DATE = re.compile(rf"(?<!\d)(?P<y>{YEAR_AR})(?P<sep>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=sep)(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)")
YEAR_RANGE = re.compile(rf"(?<!\d)(?P<a>{YEAR_AR})\s*年?{_SPAN_SEP}(?P<b>{YEAR_AR})\s*年")
MONTHS = re.compile(
    rf"(?<!\d)(?:(?P<y>{Y4}|\d\d)\s*年\s*)?(?:(?P<a>{MONTH})\s*月?{_SPAN_SEP}(?P<b>{MONTH})\s*月"
    rf"|第?(?P<q>[一二三四1-4])\s*季度|前(?P<qn>[一二三1-3])\s*个?季度|(?P<h>[上下])半年|前(?P<n>{MONTH}|两)\s*个月)"
)
DATE = re.compile(rf"(?<!\d)(?:(?P<y>{Y4_NIAN}|\d\d)\s*年\s*)?(?P<m>{MONTH})\s*月(?:\s*(?P<d>{DAY})\s*[日号])?")
YEAR = re.compile(
    rf"(?<!\d)(?P<y>{Y4_NIAN})\s*年|(?<![\d.])(?P<yy>\d\d)\s*年(?=度|底|初|末|[上下]半年|[一二三四1-4]季度|前三季度)"
    r"|['‘’](?P<ap>\d\d)(?!\d)"
)
PERCENT = re.compile(rf"(?P<v>{AR})\s*%|百分之(?P<w>{CN}|{AR})")
PERMILLE = re.compile(rf"(?P<v>{AR})\s*‰")
POINTS = re.compile(rf"(?P<v>{AR}|{CN})\s*个?百分点")
RANK = re.compile(rf"第\s*(?P<n>{INT})|(?P<first>首位|榜首)")
TOP = re.compile(rf"前\s*(?P<n>{INT})(?!{_TIME_AFTER})")
ENGLISH = re.compile(
    rf"(?P<cur>US\$|HK\$|RMB|CNY|USD|HKD|EUR|GBP|JPY|\$|¥|￥|€|£)?\s*(?P<v>{AR})"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|bn|mn)\b)?(?:\s*(?P<word>yuan|dollars?|euros?|pounds?)\b)?",
    re.IGNORECASE,
)
NUMBER = re.compile(
    rf"(?<![\d.,])(?P<ar>{AR})(?:\s*(?P<about>[余多]))?(?:\s*(?P<scale>万亿|亿|万|千|百))?(?!\d)"
    rf"|(?P<cn>{CN})(?P<about2>[余多])?"
)

# Patterns over text rather than values, for the stages that cut or check a piece of text as written:
# a sheet cell that is one figure (-1.2, 1,234.5, 28.1%; the thousands grouping of AR, so a cell reads as
# scan() reads it), a full date (2026年1月1日, 二〇二六年一月一日), a year with 年, and the period a sheet
# header or column name states (1—11月, 一季度 / 前三季度, 上半年, a month: 11月, not 12月底 or 11月5日).
FIGURE_CELL = re.compile(rf"[-+]?{AR}%?")
YMD = rf"(?:{Y4})\s*年\s*(?:{MONTH})\s*月\s*(?:{DAY})\s*日"
YMD_PARTS = re.compile(rf"(?P<y>{Y4})\s*年\s*(?P<m>{MONTH})\s*月\s*(?P<d>{DAY})\s*日")
YEAR_NIAN = re.compile(rf"({YEAR_AR})\s*年")
MONTH_SPAN = rf"\d{{1,2}}{_SPAN_SEP}\d{{1,2}}\s*月"
PERIOD_SPAN = re.compile(rf"{MONTH_SPAN}|[前第]?[一二三四1-4]\s*季度|[上下]半年|\d{{1,2}}\s*月份?(?![底末初\d日])")


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


_FULL = re.compile("[" + "".join(map(chr, _HALF)) + "]")  # full-width forms are no regex syntax


def half_width(text: str) -> str:
    """１２．５％ -> 12.5% (translate only when there is something to translate: it costs 0.4 ms a page)."""
    return text.translate(_HALF) if _FULL.search(text) else text


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
        frac, scale = m.group(1), _SCALE[m.group(2)] if m.group(2) else Decimal(1)
    n = _cn_int(whole) if whole else 0
    if n is None:
        return None
    value = Decimal(n)
    if frac:
        value += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value * scale


def _number(s: str) -> Decimal | None:
    if s and s[0].isdigit():
        try:
            return Decimal(s.replace(",", ""))
        except InvalidOperation:
            return None
    return cn_number(s)


def _small(s: str) -> int | None:
    n = _number(s)
    return int(n) if n is not None and n == n.to_integral_value() else None


def whole_number(s: str) -> int | None:
    """12 / 十二 / 二〇二六 (a year, digit by digit) -> the integer; None when it is no whole number."""
    return _small(s)


def _year(s: str) -> int | None:
    n = _small(s)
    if n is None:
        return None
    return n if n >= 100 else (2000 + n if n < 70 else 1900 + n)


_Build = Callable[[re.Match[str], str], tuple[str, tuple[Any, ...]] | None]


def _literal(kind: str, clean: Callable[[str], str]) -> _Build:
    return lambda m, text: (kind, (clean(m.group(0)),))


def _docno(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    return "docno", (_year(m.group("y")), int(m.group("n")))


def _iso(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    return "date", (int(m.group("y")), int(m.group("m")), int(m.group("d")))


def _months(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = _year(m.group("y")) if m.group("y") else None
    if m.group("a"):
        a, b = _small(m.group("a")), _small(m.group("b"))
    elif m.group("q"):
        q = _small(m.group("q")) or 0
        a, b = 3 * q - 2, 3 * q
    elif m.group("qn"):
        a, b = 1, 3 * (_small(m.group("qn")) or 0)
    elif m.group("h"):
        a, b = (1, 6) if m.group("h") == "上" else (7, 12)
    else:
        a, b = 1, _small(m.group("n"))
    if a is None or b is None or not 1 <= a < b <= 12:
        return None
    return "months", (y, a, b)


def _date(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = _year(m.group("y")) if m.group("y") else None
    month, day = _small(m.group("m")), _small(m.group("d")) if m.group("d") else None
    if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return "date", (y, month, day)


def _year_only(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    y = _year(m.group("y") or m.group("yy") or m.group("ap"))
    return ("year", (y,)) if y else None


def _ratio(kind: str) -> _Build:
    def build(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
        groups = m.groupdict()
        v = _number(groups.get("w") or groups["v"])
        return (kind, (v.normalize(),)) if v is not None else ("unparsed", (m.group(0),))
    return build


def _rank(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    n = 1 if m.group("first") else _small(m.group("n"))
    return ("rank", (n,)) if n else None


def _top(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    # 目前/此前/提前 are words; 全省前十 is not (省前 is no word)
    if m.start() > 0 and tokenizer().FREQ.get(text[m.start() - 1 : m.start() + 1]):
        return None
    n = _small(m.group("n"))
    return ("top", (n,)) if n else None


def _english(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    cur, scale, word = m.group("cur"), m.group("scale"), m.group("word")
    if not (cur or scale or word):
        return None
    v = _number(m.group("v"))
    if v is None:
        return None
    return "number", ((v * _EN_SCALE[scale.lower()] if scale else v).normalize(),)


def _plain(m: re.Match[str], text: str) -> tuple[str, tuple[Any, ...]] | None:
    start = m.start()
    if m.group("ar"):
        if _glued_to_name(text, start) or _list_ordinal(text, start, m.end()):
            return None
        v = _number(m.group("ar"))
        scale = m.group("scale")
        if v is None:
            return None
        return "number", ((v * _SCALE[scale] if scale else v).normalize(),)
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
_PATTERNS: tuple[tuple[re.Pattern[str], str, _Build], ...] = (
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
_STARTS = [re.compile(f"[{starts}]") for _, starts, _ in _PATTERNS]
# a run of digits or letters is one place (values start at its first character); so is any other start
_ANCHOR = re.compile("[0-9]+|[A-Za-z]+|[" + "".join(starts for _, starts, _ in _PATTERNS) + "]")
# patterns tried only in texts that have what they need (most sources have no URL, e-mail or English amount)
_NEEDS = {URL: re.compile(r"://|www\."), EMAIL: re.compile("@"), ENGLISH: re.compile("[A-Za-z$¥￥€£]")}


@lru_cache(maxsize=1024)
def _candidates(ch: str) -> tuple[int, ...]:
    return tuple(i for i, starts in enumerate(_STARTS) if starts.match(ch))


def scan(text: str) -> list[Value]:
    """Every typed value in the text, in order, none overlapping: at each place where a value can start,
    the patterns that can start there are tried and the longest reading wins."""
    norm = half_width(text)
    off = {i for i, (p, _, _) in enumerate(_PATTERNS) if p in _NEEDS and not _NEEDS[p].search(norm)}
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
            pattern, _, build = _PATTERNS[i]
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
