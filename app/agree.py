"""Agreement across documents: of the candidates the scorer cannot tell apart, the one whose asked value
other documents state too.

Why: a question about a public fact is answered in many retrieved documents (news reports, an encyclopedia
entry, a statistics release), and the passages around it carry other values of the same kind (last year's
figure, another country's growth, the date of a related event) in sentences that name the question's words
just as well. The scorer's features then score them within a hair of each other (0.997 against 0.996), and
which leads is chance. The value that independent documents repeat is the answer far more often than one a
single document states: answer redundancy, the oldest signal of open-domain question answering. Only a value
the question asks for counts (a figure, a date, a rank), and only other documents' (a document repeating
itself is no evidence), so a corpus of one document per topic is left as the scorer ranked it.
"""

from __future__ import annotations

import math

from app.candidates import Candidate
from app.values import asked_values, is_whole

# How far below the best a candidate may score and still be preferred for agreement, in log-odds of the
# scorer's probability, and how many candidates are read. Chosen on the fit files by replaying the recorded
# candidates of every fit question (see the commit that added this module): margins 1-3 and pools 20-40 give
# the same +5 leads on RGB dev and no loss on any set; a pool of 10 finds fewer, a margin of 10 loses one.
AGREE_MARGIN = 3.0
AGREE_POOL = 20


def value_keys(qtype: str, text: str) -> frozenset[tuple[object, ...]]:
    """The whole values of the asked type a text states, comparable across documents: a date by its month
    and day (one report writes '3月10日', another '2023年3月10日'), a figure by its value and unit."""
    out: set[tuple[object, ...]] = set()
    for v in asked_values(qtype, text):
        if is_whole(v):
            out.add(("date", v.key[1], v.key[2]) if v.kind == "date" else (v.kind, v.key, v.unit))
    return frozenset(out)


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def agreed_first(cands: list[Candidate], qtype: str) -> list[Candidate]:
    """The candidates (best first) with the best-agreed one moved to the front: among those within
    AGREE_MARGIN of the best that state an asked value, the one whose values the most other documents among
    the first AGREE_POOL candidates state too. The order is kept unless it is agreed by more documents than
    the best one is."""
    pool = cands[:AGREE_POOL]
    keys = [value_keys(qtype, c.resolved) for c in pool]
    if not any(keys):
        return cands
    top = _log_odds(pool[0].score)

    def agreement(i: int) -> int:
        return len({c.chunk.source for j, c in enumerate(pool) if keys[j] & keys[i] and c.chunk.source != pool[i].chunk.source})

    near = [i for i, c in enumerate(pool) if keys[i] and top - _log_odds(c.score) <= AGREE_MARGIN]
    if not near:
        return cands
    pick = max(near, key=lambda i: (agreement(i), -i))
    if pick == 0 or agreement(pick) <= agreement(0):
        return cands
    return [pool[pick], *cands[:pick], *cands[pick + 1 :]]
