"""Which scored candidates make the answer, and the answer they make: the best one leads with the clause
that answers, then at most one supporting sentence (or, for '各…/哪些' questions, each entity's figure);
the newer document wins a conflict and is named; no clause is said twice; <= the budget in characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.agree import agreed_first, pins
from app.candidates import Candidate
from app.compose import (
    MAX_ANSWER_CHARS,
    Needs,
    citation,
    clauses_of,
    defuse_markers,
    render,
    trim,
    without_repeats,
)
from app.lead import leads
from app.query import Query
from app.schema import Citation, Hit, Record
from app.sentences import chunk_sentences
from app.tags import names_of
from app.values import figures

MIN_COVERAGE = 0.4  # share of the question's (idf-weighted) concepts a supporting piece must carry (the lead's
# own coverage is a feature of the refusal model, app/refusal.py, not a gate: it refused 26 answerable fit questions)
SUPPORT_RATIO = 0.7  # a second sentence from another chunk joins the answer when it scores this close
SUPPORT_ROOM = 40  # ... and when the best sentence leaves this many characters for it
MANY_MAX = 6  # '各产业集群增速': at most this many entities' figures
MANY_CHUNKS = 11  # ... looked for among the candidates of this many chunks after the best one
_MANY = re.compile(r"各|分别|哪些|哪几")


@dataclass(frozen=True)
class Extracted:
    text: str
    answerable: bool
    citations: tuple[Citation, ...]
    related: tuple[Citation, ...] = ()
    records: tuple[Record, ...] = ()
    score: float = 0.0  # the winning candidate's score, coverage and fit: what a refusal gate weighs
    coverage: float = 0.0
    fit: float = 0.0
    evidence: str = ""  # the winning candidate's words (dates resolved), with its heading path and title
    heading_path: str = ""
    title: str = ""
    unknown: float = 0.0  # idf-weighted share of the question's topic words the index never mentions
    structural: bool = False  # the items of a section the question names (app/sections.py): not scored by refusal


@dataclass(frozen=True)
class Named:
    """What a clause must show to answer 'who / where / which organisation' (app.compose.Needs): a name of the
    asked kind, as jieba tags it (nr person, ns place, nt organisation), that the question does not name itself
    (the topic's own names, '县青少年…比赛', stand in every clause that restates it)."""

    kind: str
    question: str

    def search(self, string: str, /) -> bool:
        return any(w not in self.question for w in names_of(string, self.kind))


def asks_for_many(question: str) -> bool:
    """'各产业集群增速', '哪些企业': the answer lists several things, each with its own evidence."""
    return bool(_MANY.search(question))


def refusal(query: Query, hits: list[Hit]) -> Extracted:
    what = "".join(dict.fromkeys([*(f"{y}年" for y in query.years), query.metric]))
    topic = f"“{query.text.rstrip('？?。')}”"
    text = f"知识库中未找到能回答{topic}的依据{f'（{what}）' if what else ''}，无法给出答案。以下是最接近的资料，供参考。"
    related = tuple(citation(i, h.chunk, chunk_sentences(h.chunk)[0]) for i, h in enumerate(hits[:3], start=1))
    return Extracted(text, False, (), related)


def cite_all(n: int) -> str:
    """The markers of a list's n sources as one group after its last item ('甲、乙、丙[1][2][3]'): the list is
    the answer, so it is one cited piece; a marker after every item made each item a piece of its own, and
    a reader (and the lead figure) looking at the first piece saw one item of the answer."""
    return "".join(f"[{k}]" for k in range(1, n + 1))


def headings_answer(siblings: list[Hit]) -> Extracted | None:
    """'有哪些重点工作': the sibling sections' headings (app/siblings.py), each cited by its chunk."""
    if len(siblings) < 2:
        return None
    head = f"共{len(siblings)}项："
    parts: list[str] = []
    cites = []
    for n, hit in enumerate(siblings, start=1):
        piece = defuse_markers(hit.chunk.heading_path.rsplit(' > ', 1)[-1])
        if len(head) + len("；".join([*parts, piece])) + len(cite_all(n)) + 1 > MAX_ANSWER_CHARS:  # + the closing 。
            break
        parts.append(piece)
        cites.append(citation(n, hit.chunk, chunk_sentences(hit.chunk)[0]))
    return Extracted(head + "；".join(parts) + cite_all(len(cites)) + "。", True, tuple(cites))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """Two candidates of one chunk where one holds the other (a heading's span and its own sentence)."""
    return a.chunk.id == b.chunk.id and (a.quote in b.quote or b.quote in a.quote)


def compose_answer(query: Query, cands: list[Candidate], keep: list[str], needs: Needs | None,
                   weighty: frozenset[int], budget: int = MAX_ANSWER_CHARS,
                   concepts: Sequence[tuple[Sequence[str], float]] = ()) -> Extracted:
    """The answer from the scored candidates (best first). `keep`: the question's words, which clauses are
    chosen by; `needs`: what a clause must show for the question type; `weighty`: the concepts rare
    enough that a candidate adding one is evidence for another part of the question; `concepts`: the
    question's concept groups (match form) with their weights, which decide which of two pieces leads."""
    agreed = agreed_first(cands, query.qtype, query.wants, query.text, pins(query))  # of near ties, the value other documents state too
    # the value other documents agree on keeps the lead it was moved to: the best one it passed names more of
    # the question's words (that is why it scored higher) and would otherwise take the lead back
    moved = agreed[0] is not cands[0]
    cands = agreed
    best = cands[0]
    note = ""
    many = asks_for_many(query.text)
    rivals = [
        c for c in cands[1:6]
        if not many and c.chunk.source != best.chunk.source and best.coverage > 0.99 and c.covered == best.covered
        and c.chunk.doc_date and best.chunk.doc_date and c.chunk.doc_date != best.chunk.doc_date
        and figures(c.resolved) and figures(best.resolved) and not figures(c.resolved) & figures(best.resolved)
    ]
    if rivals and query.qtype == "numeric":
        newer = max([best, rivals[0]], key=lambda c: c.chunk.doc_date)
        older = rivals[0] if newer is best else best
        best = newer
        note = f"（注：较早的《{defuse_markers(older.chunk.title or older.chunk.source)}》（{older.chunk.doc_date or '日期不详'}）数字不同，已采用较新的文件。）"
    best = _cell_for(best, cands[1:6])
    chosen = [best]
    if many:  # '各产业集群增速': every entity's figure, as far as the answer length allows
        for c in _first_chunks(cands[1:], MANY_CHUNKS):
            if len(chosen) < MANY_MAX and c.coverage >= MIN_COVERAGE and c.fit > 0 and _same_measure(c, best) \
                    and not any(_overlaps(c, x) for x in chosen) \
                    and not figures(c.resolved) <= frozenset().union(*(figures(x.resolved) for x in chosen)):
                chosen.append(c)
    # One supporting sentence from another chunk when it scores close and carries what is asked; in a
    # part of a two-part answer only when the best one's answer stands whole with room to spare.
    # what the rendered pieces are cut around: the asked value, or for 'who / where / which organisation' the
    # clause that names one of the asked kind ('…选手某某夺得冠军' rather than '…比赛在某馆举行')
    shown = Named(query.wants, query.text) if query.qtype == "entity" and query.wants else needs  # needs: figure / date / rank only
    lead = len(_render(best, keep, budget - len(note) - 5, shown))
    spare = budget >= MAX_ANSWER_CHARS or budget - len(note) - 5 - lead >= SUPPORT_ROOM
    for c in cands[1:8] if len(chosen) == 1 and spare else ():
        if c.chunk.id != best.chunk.id and c.score >= best.score * SUPPORT_RATIO and c.coverage >= MIN_COVERAGE \
                and (needs is None or c.fit >= 0.3) and not _repeats_figures(c, best):
            chosen.append(c)
            break
    for c in cands[1:8] if len(chosen) == 1 else ():  # a multi-part question: evidence for the other part
        if c.quote == best.quote or c.coverage < MIN_COVERAGE or _overlaps(c, best):
            continue
        adds = c.covered - best.covered
        needs_value = query.qtype in ("numeric", "date") and best.fit < 0.3
        if (adds & weighty) or (needs_value and c.fit >= 0.3):
            chosen.append(c)
            break
    if len(chosen) == 2 and not many and not note and leads(chosen[1], best, query, keep, needs, concepts, moved):
        chosen.reverse()
        lead = len(_render(chosen[0], keep, budget - 5, shown))
    return _write(chosen, keep, shown, budget, note, lead)


def _first_chunks(cands: list[Candidate], n: int) -> list[Candidate]:
    """The candidates of the first `n` distinct chunks, in order: a chunk gives several candidates (a sentence,
    its run into the next, a heading with its section), so a fixed count of candidates would reach fewer
    chunks the more structure they have."""
    seen: set[str] = set()
    out = []
    for c in cands:
        if c.chunk.id not in seen:
            if len(seen) == n:
                break
            seen.add(c.chunk.id)
        out.append(c)
    return out


def _cell_for(best: Candidate, others: list[Candidate]) -> Candidate:
    """Of a sentence and a table cell that state the same figures and name at least what the sentence names
    of the question, the cell leads: it is the exact figure, and its citation names the cell (a chart can be
    drawn from cells, not from prose)."""
    said = figures(best.resolved)
    if best.chunk.record is not None or not said:
        return best
    for c in others:
        if c.chunk.record is not None and figures(c.resolved) and figures(c.resolved) <= said \
                and c.covered >= best.covered:
            return c
    return best


def _same_measure(c: Candidate, best: Candidate) -> bool:
    """Each entity's figure answers the same question: of two table records, only one of the same column
    (a sheet's 营收增速 is no answer beside its 规上营收, whatever the entity); text is not held to it."""
    a, b = c.chunk.record, best.chunk.record
    return a is None or b is None or a.column == b.column


def _repeats_figures(c: Candidate, best: Candidate) -> bool:
    """A supporting piece whose figures are all the best one's: it says the same value again (a sheet's
    record and the article that reports it), which tells the reader nothing more."""
    said = figures(c.resolved)
    return bool(said) and said <= figures(best.resolved)


def _render(c: Candidate, keep: list[str], room: int, needs: Needs | None) -> str:
    """The words a candidate contributes: a heading or lead-in with its items, else its sentence cut."""
    if c.span is not None and c.span.lead:
        return render(c.span, c.resolved, keep, room, needs)
    return trim(c.resolved, keep, room, needs)


def _write(chosen: list[Candidate], keep: list[str], needs: Needs | None, budget: int, note: str, lead: int) -> Extracted:
    parts: list[str] = []
    cites: list[Citation] = []
    said: set[str] = set()
    budget -= len(note) + 1  # and the closing 。
    for c in chosen:
        n = len(cites) + 1
        # the best one keeps as much as it needs (up to two thirds); later ones get what is left
        room = budget - len("".join(parts)) - 4 * (len(chosen) - len(parts))
        if not parts and len(chosen) > 1:
            room = min(room - min(60, sum(len(x.resolved) for x in chosen[1:])), max(room * 2 // 3, len(c.resolved)))
            room = max(room, min(lead, budget - 4 * len(chosen) - SUPPORT_ROOM // 2))  # never cut into the answer
        if room < 20:
            break
        piece = _render(c, keep, room, needs)
        if parts:
            piece = without_repeats(piece, said)
            if not piece:
                continue
        if parts and len("".join(parts)) + len(piece) + 4 > budget:
            break
        said.update(clauses_of(piece))
        parts.append(f"{defuse_markers(piece).rstrip('；;，,。')}[{n}]")
        cites.append(citation(n, c.chunk, c.quote.strip()))
    records = tuple(c.chunk.record for c in chosen if c.chunk.record is not None)
    best = chosen[0]
    return Extracted("；".join(parts) + "。" + note, True, tuple(cites), (), records, best.score, best.coverage, best.fit,
                     best.resolved, best.chunk.heading_path, best.chunk.title)
