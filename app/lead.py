"""Which of the two chosen pieces leads the answer: a reader looks for the answer in the first cited piece, so
of the best candidate and the one supporting it, the one that states what is asked goes first.

Why these rules: the scorer ranks candidates, it does not read which of two close ones answers; the
supporting one leads when it names every concept of the question the best one names and more, when the best
one only names the topic its document's title names, or when the best one answers for another year than
the asked one. Never when that would drop the question's year, nor against the value agreement across
documents chose (app/agree.py).

A fitted rule in their place was tried at c3ce9e0: every call on the four fit sets recorded, 242 of them with
exactly one of the two pieces holding the gold (in 60 the supporting one); these rules lead with the right one
in 200. A logistic regression by 5-fold cross-validation by question over the pair's differences (the scorer's
log-odds, coverage, title-free concept weight as in `_news`, opening, character-pair share, length, value fit,
retrieval rank, same document, superset) leads right in 190 to 200 of them, never more: the rules stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.agree import pinned
from app.candidates import Candidate
from app.compose import Needs, answering_clause, match_form
from app.dates import years_in
from app.query import Query


def leads(c: Candidate, best: Candidate, query: Query, keep: list[str], needs: Needs | None,
          concepts: Sequence[tuple[Sequence[str], float]], agreed: bool) -> bool:
    """Whether the supporting candidate `c` leads the answer instead of `best`; `agreed`: agreement across
    documents moved `best` to the front (it then keeps the lead). Every swap needs `c` to state the asked kind
    of value as well as `best` does: a supporting sentence picked for a weighty concept never leads a numeric
    answer for naming the asked year alone."""
    if agreed or (needs is not None and c.fit < best.fit):
        return False
    return answers_another_year(c, best, query, keep) or (tells_more(c, best, concepts) and not drops_year(c, best, query))


def _news(c: Candidate, concepts: Sequence[tuple[Sequence[str], float]]) -> float:
    """The weight of the question's concepts a candidate says in its own words that its document's title and
    headings do not already say: what it tells about the topic, not the topic itself."""
    known = match_form(f"{c.chunk.title} {c.chunk.heading_path}")
    return sum(w for i, (group, w) in enumerate(concepts) if i in c.covered and not any(t in known for t in group))


def tells_more(c: Candidate, best: Candidate, concepts: Sequence[tuple[Sequence[str], float]]) -> bool:
    """Whether the supporting candidate should lead: it names, in its own words, every concept of the question
    the best one names and more; or, of two sentences of one document, the best one names the topic (what the
    title says: '青禾科技，又称…旗下的一家子公司', a headline and dateline) and nothing more, while the other says
    what the question asks about it. A best one that says anything of the question beyond its title keeps the
    lead: a sentence naming more of the question's words is then mostly a dateline or a preamble ('新华社…电
    …近日发布通知')."""
    if c.covered > best.covered:  # it names all the best one names of the question, and more
        return True
    return bool(concepts) and c.chunk.source == best.chunk.source and _news(best, concepts) == 0 < _news(c, concepts)


def _year_of(c: Candidate, keep: list[str]) -> set[str]:
    """The years named where the candidate answers (its answering clause)."""
    return set(years_in(answering_clause(c.resolved, keep)))


def answers_another_year(c: Candidate, best: Candidate, query: Query, keep: list[str]) -> bool:
    """Whether the best one answers for another year than the question's while `c` answers for it: the
    clause naming the question's words names another year ('青山区2025年规上工业产值为860亿元', the asked 2024
    only in '较2024年增长5.2%'), `c`'s names the asked one. The candidate filter keeps a sentence that names the
    asked year anywhere, so this is read clause by clause."""
    asked = set(query.years)
    ours, theirs = _year_of(best, keep), _year_of(c, keep)
    return bool(asked) and bool(ours) and not ours & asked and bool(theirs & asked)


def drops_year(c: Candidate, best: Candidate, query: Query) -> bool:
    """Whether leading with `c` would lose a year the question names that the best one shows ('2013年3月，…担任
    什么职务': a sentence that names the post but not the year answers another year)."""
    return bool(pinned(query.years, best.resolved)) and not pinned(query.years, c.resolved)  # whole numbers: not 2025 in 20250
