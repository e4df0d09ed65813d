"""What a question asks an answer to show, tested on a candidate's text: a whole value of the asked type
(`Asked`, also what compose's `trim` keeps), the asked month span or quarter, a figure's measure. Pure text
tests with no store and no model, shared by candidate ranking (app/rank.py) and composing (app/compose.py),
so they live apart from both."""

from __future__ import annotations

import re

from app.constraints import MONTH_SPAN, period_named
from app.query import Query
from app.values import fitness


class Asked:
    """Whether a text shows a whole value of the asked type (what `trim` looks for with `need`)."""

    def __init__(self, qtype: str) -> None:
        self.qtype = qtype

    def search(self, text: str) -> bool:
        return fitness(self.qtype, text) >= 0.3


def period_match(q: Query, text: str) -> float:
    """Whether the question's month span or quarter/half year is in the candidate (1.0 when it names none)."""
    wanted = ([q.months] if q.months else []) + list(q.periods)
    if not wanted:
        return 1.0
    spans_found = {month_span(m) for m in MONTH_SPAN.findall(text)}
    return sum((month_span(w) in spans_found) if w == q.months else period_named(w, text) for w in wanted) / len(wanted)


def month_span(text: str) -> str:
    """'1—11月', '1至11月', '1-11 月' -> '1-11'."""
    return "-".join(re.findall(r"\d+", text))


def measure_of(unit: str) -> str:
    """A figure's unit without the words of approximation before its measure ('余家' in '百余家', '多项')."""
    return unit.lstrip("余多")
