"""Candidate answers of a chunk: its sentences, and the units its structure makes of them.

Why structure: a heading ('二、落实减税政策') or a lead-in ending '：' ('主要措施如下：') is what a question
matches, but what answers is what follows it; a sentence alone would return the heading or the lead-in
and cut off the items. So a heading or a lead-in takes what follows it (the rest of its paragraph, the
items after it) as one candidate whose `lead` matches the question and whose `body` answers it. A heading
or a lead-in is never a candidate alone. Headings are found on their own line or inline, as many corpora
write them ('…要求。 一、支持物资供应 对生产…': a list marker, a short title, a space), and so are a news
page's subheadings run into the text after a sentence (a title without punctuation, a space).

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
from functools import lru_cache
from typing import Protocol

from app.patterns import DATE, MONTHS, PERIOD_SPAN, YEAR
from app.schema import Chunk
from app.text import kept_elsewhere, split_sentences

LONG_SENTENCE = 150  # a sentence past this many characters is read as its '；' parts
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
BODY_CHARS = 240  # what a heading or lead-in takes after it: a little more than an answer can show
KEPT_CHUNKS = 2048  # chunks whose candidates are kept (kept_spans): ~10 KB each at most

# a list marker, a title without sentence punctuation (up to 40 characters: a notice's headings run long), then a
# space: an inline heading
_MARK = r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十百\d]+[条章节])"
_INLINE_HEADING = re.compile(rf"(?:^|(?<=\s)){_MARK}[^\s。！？；，,：:]{{1,40}}(?=\s)")
_ITEM = re.compile(rf"^\s*(?:{_MARK}|[①②③④⑤⑥⑦⑧⑨⑩]|[-•·*])")
_LEAD_IN = ("：", ":")
# a news subheading run into the text after it ('…同比增加5个。 两个“专班”盯紧重点项目 区发改局牵头…'): one
# or more titles with no punctuation, each ending in a Chinese character or a closing quote and followed by spaces,
# before a clause of Chinese text (table cells are followed by none); the page lost its line breaks
_HEADLINE = re.compile(r"^(?:[^\s。！？；;，,：:、（()）]{4,40}?[\u4e00-\u9fff”」》][ \t\u3000\xa0]+)+(?=[\u4e00-\u9fff“「《][^\s]*?[，,。；;！？])")
# a sentence that is a marked short title ('二、落实单位主体责任。', '四是减轻企业负担。', '（三）加强督导。'): it
# names a section and what follows it is the section's content, so it takes what follows like a heading
# and so does a marked question of a question-and-answer list ('6、企业如何申请缓缴？'): what follows answers it
_TITLED = re.compile(rf"^(?:{_MARK}|[一二三四五六七八九十]+是)(?:[^，,：:；;。！？]{{1,24}}[。！]?|[^：:；;。！？]{{1,60}}[？?])$")


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
class Unit:
    """A sentence of a chunk (or an inline heading), with where it stands in the chunk's text."""

    text: str
    start: int
    end: int
    heading: bool = False
    titled: bool = False  # a marked short sentence: a heading when what follows is no list of its own
    title: bool = False  # the document's title run into the text: no candidate, and it takes nothing


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


def chunk_sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentences (a record is one); a long sentence is read as its '；' parts."""
    if chunk.record is not None:
        return [chunk.text]
    out: list[str] = []
    for sentence in _bracketed(chunk.text, split_sentences(chunk.text)):
        if len(sentence) > LONG_SENTENCE and "；" in sentence:
            out.extend(p for p in re.split(r"(?<=；)", sentence) if p.strip())
        else:
            out.append(sentence)
    return out


_OPEN, _CLOSE = "（({[【《", "）)}]】》"


def _bracketed(text: str, sentences: list[str]) -> list[str]:
    """The sentences with none ending inside brackets: a ';' or '。' within '（…）' or a '-{…;…}-' variant
    list is no sentence end, so a sentence that leaves a bracket open takes the next ones of its line until
    it closes (within LONG_SENTENCE characters; one that does not close by then is left as split)."""
    if not any(_depth(s) > 0 for s in sentences):
        return sentences
    out: list[str] = []
    pos = 0
    bounds: list[tuple[int, int]] = []
    for sentence in sentences:
        start = text.find(sentence, pos)
        if start < 0:  # split_sentences never rewrites a sentence; kept safe for any future change
            return sentences
        pos = start + len(sentence)
        bounds.append((start, pos))
    i = 0
    while i < len(bounds):
        start, end = bounds[i]
        j = i
        while _depth(text[start:end]) > 0 and j + 1 < len(bounds) and bounds[j + 1][1] - start <= LONG_SENTENCE \
                and "\n" not in text[end : bounds[j + 1][0]]:
            j += 1
            end = bounds[j][1]
        if _depth(text[start:end]) > 0:
            j, end = i, bounds[i][1]  # never closed within reach: the sentences as split
        out.append(text[start:end])
        i = j + 1
    return out


def _depth(text: str) -> int:
    """How many brackets the text leaves open."""
    return sum(text.count(o) - text.count(c) for o, c in zip(_OPEN, _CLOSE, strict=True))


def units(chunk: Chunk) -> list[Unit]:
    """The chunk's sentences with their offsets, inline headings split off as units of their own."""
    text = chunk.text
    out: list[Unit] = []
    pos = 0
    title = chunk.title.strip()
    for n, sentence in enumerate(chunk_sentences(chunk)):
        start = text.find(sentence, pos)
        if start < 0:  # split_sentences never rewrites a sentence; kept safe for any future change
            start = pos
        pos = start + len(sentence)
        cut = start
        if n == 0 and title and sentence.startswith(title) and sentence[len(title) : len(title) + 1].isspace():
            # the document's title glued to its dateline and first sentence (a page's text run together):
            # the title is no answer (the scorer reads it as context) and the sentence after it is a
            # candidate of its own; a heading made of the title would take the opening of the document
            cut = start + len(title)
            out.append(replace(_unit(text, start, cut, heading=True), title=True))
        rest = text[cut:pos]
        if (n > 0 or cut > start) and (head := _HEADLINE.match(rest.lstrip())) and not _dated(head.group()):
            # a subheading run into the sentence after it is a heading: it takes that sentence as its body
            # instead of winning as part of it (its words repeat the question's, not the answer's). Not at a
            # chunk's opening unless the document's title opens it: there it is often the page's own headline
            # (a snippet's title), whose year or subject the sentence needs; after the title it is a subheading
            head_start = cut + len(rest) - len(rest.lstrip())
            out.append(_unit(text, head_start, head_start + head.end(), heading=True))
            cut = head_start + head.end()
        for m in _INLINE_HEADING.finditer(sentence):
            head_start, head_end = start + m.start(), start + m.end()
            if head_start < cut:
                continue
            if text[cut:head_start].strip():
                out.append(_unit(text, cut, head_start))
            out.append(_unit(text, head_start, head_end, heading=True))
            cut = head_end
        if text[cut:pos].strip():
            out.append(_unit(text, cut, pos))
    return out


def _dated(headline: str) -> bool:
    """Whether a title-shaped run ends in a date or period: '2025年1—11月' before the figures it dates, or a
    dateline ('新华社北京3月5日电', a date and one character), opens the sentence after it, not a subheading;
    taken as a heading the sentence lost the period its figures are for. A subheading that names a date inside
    it ('将于2月3日正式恢复工作') stays one."""
    end = len(headline.rstrip())
    return any(end - m.end() <= 1 for p in (DATE, MONTHS, PERIOD_SPAN, YEAR) for m in p.finditer(headline))


def _unit(text: str, start: int, end: int, heading: bool = False) -> Unit:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Unit(text[start:end], start, end, heading, not heading and bool(_TITLED.match(text[start:end])))


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
        if not unit.heading and (run := _run(text, found, i)):
            out.append(Span(text[unit.start : run[-1].end], "run", i))  # a clause run: see RUN_CHARS
            # and on into the sentences after it, one at a time: a topic sentence and those that say it, a rule
            # and its rulings (a policy answer is often a short paragraph of a few sentences)
            k, sentences = i + len(run), 2
            while sentences < RUN_SENTENCES and run[-1].text.endswith(("。", "！")) \
                    and (more := _run(text, found, k)) and more[-1].end - unit.start <= RUN_CHARS:
                out.append(Span(text[unit.start : more[-1].end], "run", i))
                run, k, sentences = more, k + len(more), sentences + 1
        if not (unit.heading or unit.titled or lead_in):
            out.append(Span(unit.text, "sentence", i))
            continue
        following = _following(found, i, lead_in)
        if not following:
            if not unit.heading:  # a lead-in or a titled sentence that ends the chunk still says something
                out.append(Span(unit.text, "sentence", i))
            continue
        body = text[following[0].start : following[-1].end]
        quote = text[unit.start : following[-1].end]
        out.append(Span(quote, "list" if lead_in else "heading", i, unit.text, body))
    return out


@kept_elsewhere
@lru_cache(maxsize=KEPT_CHUNKS)
def kept_spans(chunk: Chunk, after: Chunk | None = None) -> tuple[Span, ...]:
    """`spans`, kept per chunk and continuation: the answerer reads the same retrieved chunks question after
    question, and splitting them into sentences, runs and headings was a tenth of a question's time."""
    return tuple(spans(chunk, after))


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


def _following(found: list[Unit], i: int, lead_in: bool = False) -> list[Unit]:
    """What a heading or lead-in at `i` takes: the units after it up to the next heading (for a heading,
    also up to the next titled sentence: its sibling section; for a lead-in, titled sentences are its
    items, and it ends at the next lead-in that is no item of its own; a marked list ends after its
    items), at most BODY_CHARS characters, at least one."""
    out: list[Unit] = []
    size = 0
    for unit in found[i + 1 :]:
        if unit.heading or (unit.titled and not lead_in) \
                or (out and unit.text.endswith(_LEAD_IN) and not _ITEM.match(unit.text)):
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
