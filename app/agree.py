"""Agreement across documents: of the candidates the scorer cannot tell apart, the one whose asked value
other documents state too.

Why: a question about a public fact is answered in many retrieved documents (news reports, an encyclopedia
entry, a statistics release), and the passages around it carry other values of the same kind (last year's
figure, another country's growth, the date of a related event) in sentences that name the question's words
just as well. The scorer's features then score them within a hair of each other (0.997 against 0.996), and
which leads is chance. The value that independent documents repeat is the answer far more often than one a
single document states: answer redundancy, the oldest signal of open-domain question answering. Only a value
the question asks for counts (a figure, a date, a rank), and only other documents' (a document repeating
itself is no evidence), so a corpus of one document per topic is left as the scorer ranked it. For a
who/where/which question the values are the names of the asked kind the question does not name.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from app.candidates import Candidate
from app.compose import match_form
from app.query import Query
from app.tags import names_of
from app.text import kept_elsewhere
from app.values import RATES, asked_values, asks_rate, is_whole

# How far below the best a candidate may score and still be preferred for agreement, in log-odds of the
# scorer's probability, and how many candidates are read. Chosen on the fit files by replaying the recorded
# candidates of every fit question (see the commits that added this module): for values, margins 1-3 and pools
# 20-40 give the same +5 leads on RGB dev and no loss on any set; a pool of 10 finds fewer, a margin of 10
# loses one.
AGREE_MARGIN = 3.0
AGREE_POOL = 20
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# The value kinds that state a rate. A question for a rate ('增长率是多少') whose best candidate states one is
# answered by a rate: two reports that both give the period's GDP in 亿美元 agree on the amount, not on the
# growth, and moved a sentence with the amount and a rate of another reading ahead of the agreed rate.


@kept_elsewhere
@lru_cache(maxsize=8192)
def value_keys(qtype: str, text: str) -> frozenset[tuple[object, ...]]:
    """The whole values of the asked type a text states, comparable across documents: a date as (year,
    month, day) with the year None where the text gives none, a figure by its value and unit. Kept per
    (type, text): each pass of a two-part question reads the same candidates again."""
    out: set[tuple[object, ...]] = set()
    for v in asked_values(qtype, match_form(text)):  # the ranker's scan of the candidate (app/rank.py), shared
        if is_whole(v):
            out.add(("date", *v.key) if v.kind == "date" else (v.kind, v.key, v.unit))
    return frozenset(out)


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Two values agree: equal, or two dates of the same month and day of which one gives no year (one
    report writes '3月10日', another '2023年3月10日'; '2022年3月10日' is last year's date, no agreement), or
    one amount written with and without its measure word ('报名人数1193万' and '1193万人')."""
    if a == b:
        return True
    if a[0] == b[0] == "number" and a[1] == b[1]:
        return not a[2] or not b[2]
    return a[0] == b[0] == "date" and a[2:] == b[2:] and (a[1] is None or b[1] is None)


def shared(a: frozenset[tuple[object, ...]], b: frozenset[tuple[object, ...]]) -> bool:
    """Whether two texts state a value in common."""
    return bool(a & b) or any(_same(x, y) for x in a for y in b)


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def name_keys(wants: str, question: str, text: str) -> frozenset[tuple[object, ...]]:
    """The names of the kind a who/where/which question asks for (`wants`: jieba's nr, ns, nt) that the text
    states and the question does not (the question's own names agree with everything)."""
    asked = match_form(question)
    return frozenset(("name", w) for w in names_of(text, wants) if not w.isascii() and match_form(w) not in asked)


def pins(query: Query) -> tuple[str, ...]:
    """What the question pins its answer to, in match form: the numbers it names (years, the '1500' of
    '男子1500米'; content words leave numbers out) and its places, organisations and names."""
    named = (*query.places, *query.orgs, *query.names)
    return tuple(dict.fromkeys([*_NUMBER.findall(query.resolved), *(m for n in named if (m := match_form(n)))]))


def pinned(question_pins: tuple[str, ...], text: str) -> frozenset[str]:
    """The pins a text states; a number only as a whole number ('500米' does not state 1500, nor '2025' 5)."""
    form = match_form(text)
    return frozenset(p for p in question_pins if (re.search(rf"(?<![0-9.]){re.escape(p)}(?![0-9])", form) if p[-1].isdigit() else p in form))


def agreed_first(cands: list[Candidate], qtype: str, wants: str = "", question: str = "",
                 question_pins: tuple[str, ...] = ()) -> list[Candidate]:
    """The candidates (best first) with the best-agreed one moved to the front: among those within
    AGREE_MARGIN of the best that state an asked value, the one whose values the most other documents among
    the first AGREE_POOL candidates state too. A question that asks no value but a name (`wants`) agrees on
    the names of that kind, read only among the near-tied candidates (tagging is the slow part). The order is
    kept unless the pick is agreed by more documents than the best one is; a pick states all the question's
    pins (`question_pins`, from pins()) the best one states. A question for a rate agrees on rates (RATES)
    where the best one states one."""
    pool = cands[:AGREE_POOL]
    if len({c.chunk.source for c in pool}) < 2:
        return cands  # one document: no candidate is agreed by another, the order stays (no value read)
    top = _log_odds(pool[0].score)
    keys = [value_keys(qtype, c.resolved) for c in pool]
    if qtype == "numeric" and asks_rate(question) and any(k[0] in RATES for k in keys[0]):
        keys = [frozenset(k for k in ks if k[0] in RATES) for ks in keys]  # a growth rate agrees on rates only
    if wants and not any(keys):
        # the candidates come best first, so the near-tied ones are a prefix: a position in `pool` is one in `cands`
        pool = [c for c in pool if top - _log_odds(c.score) <= AGREE_MARGIN]
        keys = [name_keys(wants, question, c.resolved) for c in pool]
    if not any(keys):
        return cands

    counted: dict[int, int] = {}

    def agreement(i: int) -> int:  # counted once per candidate: the pick is compared with the best again
        if i not in counted:
            counted[i] = len({c.chunk.source for j, c in enumerate(pool) if c.chunk.source != pool[i].chunk.source and shared(keys[j], keys[i])})
        return counted[i]

    # a pick must state every pin the best one states: the winner of the 500米 race, which three reports
    # name, is no answer to the 1500米 question the best one answers
    held = pinned(question_pins, pool[0].resolved)
    near = [i for i, c in enumerate(pool) if keys[i] and top - _log_odds(c.score) <= AGREE_MARGIN
            and held <= pinned(question_pins, c.resolved)]
    if not near:
        return cands
    pick = max(near, key=lambda i: (agreement(i), -i))
    if pick == 0 or agreement(pick) <= agreement(0):
        return cands
    return [pool[pick], *cands[:pick], *cands[pick + 1 :]]
