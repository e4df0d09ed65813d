"""Dates in Chinese text: relative years (去年, 今年) rewritten to absolute ones, the year in force for a
bare period (全年, 1—11月), and a document's own date and validity."""

from __future__ import annotations

import re
from functools import lru_cache

from app.text import KEPT_TEXT_CHARS, SENTENCE_TAGS_KEPT, kept_elsewhere, normalize

# 上年 is only rewritten when it stands alone: 比上年/较上年/上年同期 are comparison bases, and 当年
# ('落户当年') refers to the year in the sentence, so both keep their words.
_CN_YEAR_WORDS = {"前年": -2, "去年": -1, "上年": -1, "上一年": -1, "今年": 0, "本年": 0, "明年": 1}
_REL_YEAR = re.compile(r"(?<![比较同])(?:前年|去年|上一年|上年(?!同期)|今年|本年|明年)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年")
_BARE_MONTHS = re.compile(r"(?<![年\d])(\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月)")
_BARE_FULL_YEAR = re.compile(r"(?<![年\d])全年")


def years_in(text: str) -> list[str]:
    return _YEAR.findall(text)


def resolve_dates(text: str, doc_year: int | None, default_year: int | None = None) -> str:
    """Rewrite 去年/今年/明年/上年 to absolute years and give bare 全年 / 1—11月 the year in force.

    The year in force for a bare period is the last explicit year earlier in the same text, else
    `default_year` (the year the document mostly reports on). Quotes keep the original words; this
    rewritten form is what gets indexed and compared. Kept per (text, years) up to KEPT_TEXT_CHARS: the
    answerer rewrites the sentences of every retrieved chunk again for each question (ingest's whole
    documents are not kept).
    """
    if len(text) <= KEPT_TEXT_CHARS:
        return _resolved(text, doc_year, default_year)
    return _resolve(text, doc_year, default_year)


def _resolve(text: str, doc_year: int | None, default_year: int | None) -> str:
    """Each rewrite runs only on a text holding the character its pattern cannot match without (年, 月,
    全年): the answerer resolves every candidate of a new question, and most hold no relative year or bare
    period, which a substring test rules out for a fraction of a regular expression's scan."""
    if doc_year is not None and "年" in text:
        text = _REL_YEAR.sub(lambda m: f"{doc_year + _CN_YEAR_WORDS[m.group(0)]}年", text)
    if default_year is None:
        return text

    def year_before(pos: int) -> int:
        found = _YEAR.findall(text[:pos])
        return int(found[-1]) if found else int(default_year or 0)

    if "月" in text:
        text = _BARE_MONTHS.sub(lambda m: f"{year_before(m.start())}年{m.group(1)}", text)
    if "全年" in text:
        text = _BARE_FULL_YEAR.sub(lambda m: f"{year_before(m.start())}年全年", text)
    return text


_resolved = kept_elsewhere(lru_cache(maxsize=SENTENCE_TAGS_KEPT)(_resolve))


_DATE_LINE = re.compile(
    r"(?:发布日期|发布时间|印发日期|成文日期|日期)\s*[:：]?\s*((?:19|20)\d\d)\s*[年\-/.]\s*(\d{1,2})(?:\s*[月\-/.]\s*(\d{1,2}))?"
)
_DATE_PAREN = re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日\s*(?:印发|发布)")
_DATE_NAME = re.compile(r"((?:19|20)\d\d)[-_.年]?(0[1-9]|1[0-2])(?:[-_.月]?([0-3]\d))?")
_FUTURE = re.compile(r"((?:19|20)\d\d)年\s*[，,]?\s*(?:我们将|我们要|将|要|计划|力争|预计|目标)")
_EFFECTIVE = re.compile(r"自\s*((?:19|20)\d\d年\d{1,2}月\d{1,2}日)\s*起\s*施行")
_VALID = re.compile(r"有效期\s*(?:至|到)?\s*((?:19|20)\d\d年\d{1,2}月\d{1,2}日|\d+\s*年)")


def _fmt(y: str, m: str | None = None, d: str | None = None) -> str:
    return "-".join([y] + [f"{int(x):02d}" for x in (m, d) if x])


def detect_date(text: str, file_name: str = "", given: str = "") -> str:
    """The document's date as YYYY[-MM[-DD]]: a given field, a 发布日期/印发 line, the file name,
    or the latest year the text speaks of in the future tense ("2026年，我们将")."""
    if given.strip():
        m = re.search(r"((?:19|20)\d\d)(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?", normalize(given))
        if m:
            return _fmt(*m.groups())
    head, tail = normalize(text[:3000]), normalize(text[-1500:]) if len(text) > 3000 else ""
    for pattern in (_DATE_LINE, _DATE_PAREN):
        m = pattern.search(head) or (pattern.search(tail) if tail else None)
        if m:
            return _fmt(*m.groups())
    m = _DATE_NAME.search(file_name)
    if m:
        return _fmt(*m.groups())
    future = [int(y) for y in _FUTURE.findall(text)]
    return str(max(future)) if future else ""


def detect_validity(text: str) -> str:
    """Policies: '施行 2026年3月1日；有效期 3年' style summary of when the document applies."""
    parts = []
    if m := _EFFECTIVE.search(text):
        parts.append(f"自{m.group(1)}起施行")
    if m := _VALID.search(text):
        parts.append(f"有效期{'至' if '日' in m.group(1) else ''}{m.group(1)}")
    return "；".join(parts)


def default_year_of(text: str, doc_year: int | None) -> int | None:
    """The year a document mostly reports on: the most-mentioned year not after its own date."""
    resolved = resolve_dates(text, doc_year)
    counts: dict[int, int] = {}
    for y in years_in(resolved):
        if doc_year is None or int(y) <= doc_year:
            counts[int(y)] = counts.get(int(y), 0) + 1
    if counts:
        return max(counts, key=lambda y: (counts[y], y))
    return doc_year
