"""Checks an LLM answer against its citations: every number with its unit and every period it states
must appear in a cited source, after normalisation (full/half width, 45.3% = 45.30%, 1.5亿元 = 15000万元)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.schema import Chunk
from app.text import normalize

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d{1,3})\]")
_FIGURE = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(个百分点|百分点|%|‰|亿元|万元|千元|元|亿|万|家|个|项|亩|人次|人|名|辆|吨|件|倍|台|套|座)"
)
_PERIOD = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}\s*[—\-–~至]\s*\d{1,2}\s*月)?")
_SCALE = {"亿元": ("元", Decimal(10) ** 8), "万元": ("元", Decimal(10) ** 4), "千元": ("元", Decimal(1000)),
          "元": ("元", Decimal(1)), "亿": ("", Decimal(10) ** 8), "万": ("", Decimal(10) ** 4),
          "百分点": ("个百分点", Decimal(1))}


def markers(text: str, n_sources: int) -> list[int]:
    """Source numbers cited in the text, in order of first appearance; out-of-range ones are dropped and logged."""
    out: list[int] = []
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if not 1 <= n <= n_sources:
            log.warning("dropping citation marker [%d]: only %d sources were given", n, n_sources)
            continue
        if n not in out:
            out.append(n)
    return out


def figures(text: str) -> list[tuple[str, Decimal, str]]:
    """(as written, value in base unit, base unit) for each number-with-unit in the text."""
    out = []
    for m in _FIGURE.finditer(normalize(text)):
        raw, unit = m.group(0), m.group(2)
        try:
            value = Decimal(m.group(1).replace(",", ""))
        except InvalidOperation:
            continue
        base, scale = _SCALE.get(unit, (unit, Decimal(1)))
        out.append((raw.replace(" ", ""), (value * scale).normalize(), base))
    return out


def periods(text: str) -> list[str]:
    return [re.sub(r"\s", "", p) for p in _PERIOD.findall(normalize(text))]


@dataclass(frozen=True)
class Verdict:
    verified: bool
    unsupported: tuple[str, ...]
    cited: tuple[int, ...]


def verify(answer: str, sources: list[Chunk]) -> Verdict:
    """Every figure and period of the answer must be found in the sources it cites."""
    cited = markers(answer, len(sources))
    evidence = " ".join(f"{sources[n - 1].text} {sources[n - 1].index_text}" for n in cited)
    have = {(value, unit) for _, value, unit in figures(evidence)}
    have_periods = set(periods(evidence))
    unsupported = [raw for raw, value, unit in figures(answer) if (value, unit) not in have]
    unsupported += [p for p in periods(_MARKER.sub("", answer)) if p not in have_periods]
    if not cited and answer.strip():
        unsupported.append("（回答没有标注任何来源）")
    return Verdict(not unsupported, tuple(dict.fromkeys(unsupported)), tuple(cited))
