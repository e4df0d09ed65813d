"""The patterns of typed values in Chinese text (numbers, percent, years, dates, month spans, ranks, phone
numbers, e-mail addresses, URLs, 文号), and the full-width normalisation every text gets before they match.

One set of patterns for every stage that handles figures (app/scan.py says why); how a match is read as a
value is app/readings.py, the numerals in it app/numerals.py.
"""

from __future__ import annotations

import re

# full-width ASCII to half-width (１２．５％ -> 12.5%), keeping the Chinese punctuation that separates
# clauses (a full-width comma must not become a thousands separator); one character for one, so offsets hold
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "，；：（）！？"}

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


_FULL = re.compile("[" + "".join(map(chr, _HALF)) + "]")  # full-width forms are no regex syntax


def half_width(text: str) -> str:
    """１２．５％ -> 12.5% (translate only when there is something to translate: it costs 0.4 ms a page)."""
    return text.translate(_HALF) if _FULL.search(text) else text
