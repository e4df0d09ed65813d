"""Candidate answers of a chunk: each sentence, each heading or lead-in with what follows it, each run of sentences.

The chunk's units (its sentences and the headings split off them) come from app/sentences.py; this stage
decides which units, alone or together, are one candidate answer.

Why structure: a heading ('二、落实减税政策') or a lead-in ending '：' ('主要措施如下：') is what a question
matches, but what answers is what follows it; a sentence alone would return the heading or the lead-in
and cut off the items. So a heading or a lead-in takes what follows it (the rest of its paragraph, the
items after it) as one candidate whose `lead` matches the question and whose `body` answers it. A heading
or a lead-in is never a candidate alone. A question ('问：…需要什么材料？') is matched the same way and answered
by what follows it (question-and-answer pages, a notice's 'Q？A。' paragraphs).

Why the next chunk: chunks are cut by size, so a heading, a lead-in or a sentence near a chunk's end often
has what follows it (its body, its items, the sentences of its paragraph) in the next chunk of its section.
It takes what follows it from there as it would in its own chunk; a candidate never starts in the next
chunk. (Sentence runs stayed in their chunk at first: before the three-sentence runs, runs into the next
chunk lost as many cmrc questions as they won elsewhere.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from app.schema import Chunk
from app.sentences import MARK, Unit, units

# A rule's condition and its ruling, or one of two measures, are '；' clauses of one sentence
# ('…逾期未报的，暂停拨付补助；情节严重的，取消三年内申报资格。') or two sentences of a paragraph
# ('…申报材料须加盖单位公章。材料不全的，窗口一次性告知补正。'): a clause and the clauses after it to the
# sentence's end, and a sentence with the next one (and the one after), are candidates too, at most this many
# units and characters
RUN_UNITS = 3
RUN_CHARS = 200
# a sentence runs on over at most this many sentences in all (bench.lead_losses, leads of ncp fit + cmrc fit +
# RGB dev, cdec87f: up to 3 sentences 799, up to 4 808, any number within RUN_CHARS 802)
RUN_SENTENCES = 4
QUESTION_CHARS = 60  # a question that opens a line is at most this long (a titled question's limit, app/sentences.py)
BODY_CHARS = 240  # what a heading or lead-in takes after it: a little more than an answer can show
KEPT_CHUNKS = 2048  # chunks whose candidates are kept (app.rank.spans_read): ~10 KB each at most

_ITEM = re.compile(rf"^\s*(?:{MARK}|[①②③④⑤⑥⑦⑧⑨⑩]|[-•·*])")
_LEAD_IN = ("：", ":")
_ASKS = ("？", "?")  # a question: what follows it answers it (_asks)

_PARAGRAPHS = re.compile(r"^第(\d+)(?:–(\d+))?段$")  # the chunker's locator: '第3段', '第3–5段'


class Stored(Protocol):
    """What `continuation` reads of the store: its chunks in document order and their positions."""

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    @property
    def by_id(self) -> Mapping[str, int]: ...


def continuation(store: Stored, chunk: Chunk) -> Chunk | None:
    """The chunk that goes on where `chunk` stops: the next one of its document and section (one document's
    chunks are stored together, in order); None for a record, the last chunk of a section, or a chunk
    the store does not hold."""
    pos = store.by_id.get(chunk.id)
    if chunk.record is not None or pos is None or pos + 1 >= len(store.chunks):
        return None
    nxt = store.chunks[pos + 1]
    if nxt.source != chunk.source or nxt.ordinal != chunk.ordinal + 1 or nxt.record is not None \
            or nxt.heading_path != chunk.heading_path:
        return None
    return nxt


def _joint(chunk: Chunk, after: Chunk) -> str:
    """What stood between two chunks in the document: nothing when the next one goes on in the same
    paragraph ('第3–5段' then '第5–6段'), else a line break (a run of sentences ends at a paragraph's end)."""
    a, b = _PARAGRAPHS.match(chunk.locator), _PARAGRAPHS.match(after.locator)
    if a and b and (a.group(2) or a.group(1)) == b.group(1):
        return ""
    return "\n"




@dataclass(frozen=True)
class Span:
    """One candidate answer. `quote` is the document's own words for the whole unit (what a citation shows;
    the chunk's, and where a unit goes on past the chunk's end, the next chunk's);
    for a heading or lead-in, `lead` is the part that matches the question and `body` the part that
    answers; a plain sentence has neither (the quote both matches and answers)."""

    quote: str
    kind: str  # sentence | record | heading | list | run
    index: int  # the position of its first unit among the chunk's units (for the sentences around it)
    lead: str = ""
    body: str = ""

    @property
    def answer_text(self) -> str:
        """What an answer built from this span shows first."""
        return self.body or self.quote




def spans(chunk: Chunk, after: Chunk | None = None) -> list[Span]:
    """Every candidate of the chunk: each sentence, and each heading or lead-in with what follows it, in
    the chunk or, where the chunk stops, in `after` (its `continuation`), and each run of sentences."""
    if chunk.record is not None:
        return [Span(chunk.text, "record", 0)]
    found = units(chunk)
    own = len(found)
    text = chunk.text
    if after is not None and after.record is None:
        joint = _joint(chunk, after)
        shift = len(text) + len(joint)
        found += [replace(u, start=u.start + shift, end=u.end + shift) for u in units(after) if not u.title]
        text = text + joint + after.text
    out: list[Span] = []
    for i, unit in enumerate(found[:own]):
        if unit.title:
            continue
        lead_in = unit.text.rstrip().endswith(_LEAD_IN)
        asks = _asks(unit) and _opens_line(text, unit)
        if not unit.heading and (run := _run(text, found, i)):
            out.append(Span(text[unit.start : run[-1].end], "run", i))  # a clause run: see RUN_CHARS
            # and on into the sentences after it, one at a time: a topic sentence and those that say it, a rule
            # and its rulings (a policy answer is often a short paragraph of a few sentences)
            k, sentences = i + len(run), 2
            while sentences < RUN_SENTENCES and run[-1].text.endswith(("。", "！")) \
                    and (more := _run(text, found, k)) and more[-1].end - unit.start <= RUN_CHARS:
                out.append(Span(text[unit.start : more[-1].end], "run", i))
                run, k, sentences = more, k + len(more), sentences + 1
        if not (unit.heading or unit.titled or lead_in or asks):
            out.append(Span(unit.text, "sentence", i))
            continue
        following = _following(found, i, lead_in, asks)
        if not following:
            if not unit.heading:  # a lead-in or a titled sentence that ends the chunk still says something
                out.append(Span(unit.text, "sentence", i))
            continue
        body = text[following[0].start : following[-1].end]
        quote = text[unit.start : following[-1].end]
        out.append(Span(quote, "list" if lead_in else "heading", i, unit.text, body))
    return out


def _asks(unit: Unit) -> bool:
    """Whether the unit is a question. One that opens a line (or a block after spaces, where a page lost its
    line breaks) is answered by what follows it, as a heading is (a question-and-answer page, '问：…？答：…');
    one inside running text is a teaser or a rhetorical question, and the sentences after it are no answer of
    its own. Questions in a row are asked together and answered after the last one."""
    return not unit.heading and unit.text.rstrip().endswith(_ASKS)


def _opens_line(text: str, unit: Unit) -> bool:
    """Whether the unit's last line (what follows its last space, at most QUESTION_CHARS characters) opens a
    line or a block after spaces: where a page lost its line breaks, a question of a question-and-answer list
    still follows a space ('…的条件。其他 　问：…需要什么文件？'). A text's opening question is no such line: a
    post opening with the reader's question ('…有多少家？点击下文一起来看看。') is a teaser."""
    tail = unit.text.split()[-1] if unit.text.split() else ""
    inner = len(tail) < len(unit.text) or text[unit.start - 1 : unit.start].isspace()
    return inner and len(tail) <= QUESTION_CHARS


def _run(text: str, found: list[Unit], i: int) -> list[Unit]:
    """What runs on from unit `i` in its paragraph: after a clause ending '；', the clauses up to its
    sentence's end; after a whole sentence, the next sentence (at most RUN_UNITS units and RUN_CHARS
    characters with it; [] when nothing follows in the paragraph or a heading does)."""
    out: list[Unit] = []
    size = len(found[i].text)
    for unit in found[i + 1 : i + RUN_UNITS]:
        prev = out[-1] if out else found[i]
        if unit.heading or unit.titled or "\n" in text[prev.end : unit.start] or size + len(unit.text) > RUN_CHARS:
            break
        out.append(unit)
        size += len(unit.text)
        if not unit.text.endswith("；"):
            break
    if found[i].text.endswith("；"):
        return out
    return out[:1] if out and found[i].text.endswith(("。", "！")) else []


def _following(found: list[Unit], i: int, lead_in: bool = False, question: bool = False) -> list[Unit]:
    """What a heading or lead-in at `i` takes: the units after it up to the next heading (for a heading,
    also up to the next titled sentence: its sibling section; for a lead-in, titled sentences are its
    items, and it ends at the next lead-in that is no item of its own; a marked list ends after its
    items; a question's answer ends at the next question after it), at most BODY_CHARS characters, at
    least one."""
    out: list[Unit] = []
    size = 0
    for unit in found[i + 1 :]:
        if unit.heading or (unit.titled and not lead_in) \
                or (out and unit.text.endswith(_LEAD_IN) and not _ITEM.match(unit.text)) \
                or (question and _asks(unit) and not all(map(_asks, out))):
            break
        if out and _ITEM.match(out[0].text) and not _ITEM.match(unit.text):
            break  # a marked list ends at the first line that is no item
        if out and size + len(unit.text) > BODY_CHARS:
            break
        out.append(unit)
        size += len(unit.text)
    return out


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    quote: str
    resolved: str
    score: float
    coverage: float
    covered: frozenset[int]
    rank: int
    fit: float  # how well it fits the question type (a number for 多少, a date for 何时 …)
    span: Span | None = None  # the structure it came from, its lead and body in resolved form
