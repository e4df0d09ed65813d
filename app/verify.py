"""Checks an LLM answer claim by claim: each clause that ends in [n] markers is checked against the
sources *it* cites (not the pool of everything cited), and every figure in it — numbers with any unit,
Chinese numerals, percent, 个百分点, years, dates to the day, month spans, ranks, 文号 — must be found in
one of them, equal after normalisation (838 = 838家, 1.5亿元 = 15000万元, 45.3% = 45.30%, 首位 = 第一).
A figure that cannot be read as one value is unverified, never passed by default."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache

from app.patterns import half_width
from app.readings import unit_of
from app.scan import Value, scan
from app.schema import Chunk
from app.tokens import tokenizer

log = logging.getLogger(__name__)

_GROUP = re.compile(r"(?:\s*\[\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\])+")
_MARKER_NUM = re.compile(r"\d{1,3}")
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_RANK_VERB = re.compile(r"位居|位列|名列|排名|排在|跻身|进入|位于|居|列|排")
_SCOPE_STOP = re.compile(r"[，。；、,;:：（）()]")
NO_SOURCE = "（回答没有标注任何来源）"
_NUMERIC = ("number", "percent", "permille", "points")


@dataclass(frozen=True)
class Claim:
    """One clause of the answer with the sources it cites and the figures none of them holds."""

    text: str
    cited: tuple[int, ...]
    figures: tuple[str, ...]
    unsupported: tuple[str, ...]

    @property
    def verified(self) -> bool:
        return not self.unsupported


@dataclass(frozen=True)
class Verdict:
    verified: bool
    unsupported: tuple[str, ...]
    cited: tuple[int, ...]
    claims: tuple[Claim, ...] = field(default=())


def markers(text: str, n_sources: int) -> list[int]:
    """Source numbers cited in the text, in order of first appearance; out-of-range ones are dropped and logged."""
    out: list[int] = []
    for group in _GROUP.finditer(text):
        for n in _numbers(group.group(0), n_sources):
            if n not in out:
                out.append(n)
    return out


def _numbers(group: str, n_sources: int) -> tuple[int, ...]:
    out: list[int] = []
    for m in _MARKER_NUM.finditer(group):
        n = int(m.group(0))
        if not 1 <= n <= n_sources:
            log.warning("dropping citation marker [%d]: only %d sources were given", n, n_sources)
        elif n not in out:
            out.append(n)
    return tuple(out)


def split_claims(answer: str, n_sources: int) -> list[tuple[str, tuple[int, ...]]]:
    """(text, cited sources) for each run of text that ends in one or more markers. After the last
    marker, the rest of its sentence still belongs to that claim; later sentences are a claim citing nothing."""
    out: list[tuple[str, tuple[int, ...]]] = []
    last = 0
    for group in _GROUP.finditer(answer):
        out.append((answer[last : group.start()], _numbers(group.group(0), n_sources)))
        last = group.end()
    rest = answer[last:]
    if out and (end := _SENTENCE_END.search(rest)):
        text, cited = out[-1]
        out[-1] = (text + rest[: end.end()], cited)
        rest = rest[end.end() :]
    elif out:
        out[-1] = (out[-1][0] + rest, out[-1][1])
        rest = ""
    if rest.strip():
        out.append((rest, ()))
    return out


class _Evidence:
    """The typed values of one source, indexed once (a chunk is frozen, so its evidence is cached)."""

    def __init__(self, chunk: Chunk) -> None:
        # what the model was shown (title, locator, date, text) and the text with relative dates resolved
        resolved = chunk.index_text if chunk.index_text != chunk.text else ""
        self.text = "\n".join((chunk.title, chunk.locator, chunk.heading_path, chunk.doc_date, chunk.text, resolved))
        self.values: dict[tuple[str, tuple[object, ...]], list[Value]] = defaultdict(list)
        self.numbers: set[Decimal] = set()
        self.years: set[int] = set()
        self.dates: list[Value] = []
        for v in scan(self.text):
            self.values[(v.kind, v.key)].append(v)
            if v.kind in _NUMERIC:
                self.numbers.add(v.key[0])
            elif v.kind in ("date", "months"):
                self.dates.append(v)
            if v.kind == "year" or (v.kind in ("date", "months") and v.key[0]):
                self.years.add(v.key[0])
        self.numbers.update(Decimal(y) for y in self.years)

    @cached_property
    def flat(self) -> str:
        """The text without spaces, for figures that only match as written."""
        return re.sub(r"\s", "", half_width(self.text))

    def holds(self, v: Value, claim: str) -> bool:
        if v.kind == "number":
            unit = v.unit
            if not unit:  # a bare number matches the same number with any unit
                return v.key[0] in self.numbers
            return any(_same_unit(unit, v.tail, s.tail) for s in self.values[("number", v.key)])
        if v.kind == "year":
            return v.key[0] in self.years
        if v.kind == "date":
            y, m, d = v.key
            return any(self._year_ok(y, s.key[0]) and _day_ok(m, d, s) for s in self.dates)
        if v.kind == "months":
            return any(s.kind == "months" and s.key[1:] == v.key[1:] and self._year_ok(v.key[0], s.key[0])
                       for s in self.dates)
        if v.kind in ("rank", "top"):
            scope = _scope(claim, v.start)[0]
            return any(scope in re.sub(r"\s", "", s.before) for s in self.values[(v.kind, v.key)])
        if v.kind == "docno":
            issuer = _issuer(v.before)
            return any(_issuer(s.before).endswith(issuer) for s in self.values[("docno", v.key)])
        if v.kind == "unparsed":
            return re.sub(r"\s", "", display(v)) in self.flat
        return (v.kind, v.key) in self.values

    def _year_ok(self, claimed: int | None, stated: int | None) -> bool:
        """A claim's year must be the source's, or (when the source's date has none) a year the source states."""
        return claimed is None or claimed == stated or (stated is None and claimed in self.years)


def _day_ok(month: int, day: int | None, s: Value) -> bool:
    if s.kind == "date":
        return s.key[1] == month and (day is None or s.key[2] == day)
    return day is None and month in (s.key[1], s.key[2])  # 截至11月 against 1—11月


def _same_unit(unit: str, tail: str, source_tail: str) -> bool:
    """One side's unit starts the other's text: 838家企业 = 838家; 美元 ≠ 港元 ≠ 元; 平方米 ≠ 平方公里."""
    other = unit_of(source_tail)
    return source_tail.lstrip(" ").startswith(unit) or bool(other and tail.lstrip(" ").startswith(other))


def _scope(claim: str, start: int) -> tuple[str, int]:
    """The place a rank is within (居全省第二 -> 全省) and where its phrase starts; ('', start) if none."""
    window = claim[max(0, start - 12) : start]
    stops = list(_SCOPE_STOP.finditer(window))
    offset = stops[-1].end() if stops else 0
    verbs = [m for m in _RANK_VERB.finditer(window, offset) if not _inside_word(window, m)]
    if not verbs:
        return "", start
    verb = verbs[-1]
    scope = re.sub(r"\s", "", window[verb.end() :]).strip("在于的中")
    return scope, start - len(window) + verb.start()


def _inside_word(text: str, m: re.Match[str]) -> bool:
    """居/列/排 inside a word (居民, 列入, 安排) is no rank verb: jieba's dictionary says which pairs are words."""
    if len(m.group(0)) > 1:
        return False
    freq = tokenizer().FREQ
    i = m.start()
    return bool((i and freq.get(text[i - 1 : i + 1])) or freq.get(text[i : i + 2]))


def _issuer(before: str) -> str:
    m = re.search(r"[\u4e00-\u9fff]{1,2}$", before)
    return m.group(0) if m else ""


@lru_cache(maxsize=512)
def _evidence(chunk: Chunk) -> _Evidence:
    return _Evidence(chunk)


def display(v: Value) -> str:
    """The figure as the answer wrote it, with its unit (143.79亿元, 838家, 居全省第三)."""
    if v.kind in ("number", "unparsed"):
        unit = unit_of(v.tail)
        return v.raw + unit if unit and not v.raw.endswith(unit) else v.raw
    return v.raw


def figures(text: str) -> list[tuple[str, Decimal, str]]:
    """(as written, value in base unit, unit) for each number that has a unit or scale, and each percent,
    ‰ and 个百分点: what a quote highlights and what a citation's sentences are chosen by."""
    out: list[tuple[str, Decimal, str]] = []
    for v in scan(text):
        if v.kind == "number" and (v.unit or any(c in v.raw for c in "万亿")):
            out.append((display(v), v.key[0], v.unit))
        elif v.kind in ("percent", "permille", "points"):
            out.append((v.raw, v.key[0], {"percent": "%", "permille": "‰", "points": "个百分点"}[v.kind]))
    return out


def _check(text: str, cited: tuple[int, ...], evidence: dict[int, _Evidence]) -> Claim:
    found = scan(text)
    unsupported: list[str] = []
    for v in found:
        if not any(evidence[n].holds(v, text) for n in cited):
            scope, start = _scope(text, v.start) if v.kind in ("rank", "top") else ("", v.start)
            unsupported.append(text[start : v.end].strip() if scope else display(v))
    return Claim(text, cited, tuple(display(v) for v in found), tuple(unsupported))


def verify(answer: str, sources: list[Chunk]) -> Verdict:
    """Every figure of each claim must be found in a source that claim cites."""
    parts = split_claims(answer, len(sources))
    cited = list(dict.fromkeys(n for _, nums in parts for n in nums))
    evidence = {n: _evidence(sources[n - 1]) for n in cited}
    claims = tuple(_check(text, nums, evidence) for text, nums in parts)
    unsupported = [u for c in claims for u in c.unsupported]
    if not cited and answer.strip():
        unsupported.append(NO_SOURCE)
    return Verdict(not unsupported, tuple(dict.fromkeys(unsupported)), tuple(cited), claims)
