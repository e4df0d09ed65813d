"""Sentence splitting of a chunk: its sentences, and the units its structure makes of them.

A unit is a sentence with where it stands in the chunk's text, or a heading split off the sentence it was
run into: headings are found on their own line or inline, as many corpora write them ('…要求。 一、支持物资供应
对生产…': a list marker, a short title, a space), and so are a news page's subheadings run into the text after
a sentence (a title without punctuation, a space), and the document's own title glued to its first sentence.
A sentence that leaves a bracket open goes on to where it closes, and a long sentence is read as its '；' parts.

Why a stage of its own: the units are what candidates are built from (app/candidates.py: a heading or lead-in
takes the units after it, a sentence runs on into the next ones), and the sentences alone are read elsewhere
(app/choose.py, app/extract.py: the sentences around a candidate); how a chunk falls into units is separate
from which runs of units answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.patterns import DATE, MONTHS, PERIOD_SPAN, YEAR
from app.schema import Chunk
from app.text import split_sentences

LONG_SENTENCE = 150  # a sentence past this many characters is read as its '；' parts

# a list marker, a title without sentence punctuation (up to 40 characters: a notice's headings run long), then a
# space: an inline heading
MARK = r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十百\d]+[条章节])"
_INLINE_HEADING = re.compile(rf"(?:^|(?<=\s)){MARK}[^\s。！？；，,：:]{{1,40}}(?=\s)")
# a news subheading run into the text after it ('…同比增加5个。 两个“专班”盯紧重点项目 区发改局牵头…'): one
# or more titles with no punctuation, each ending in a Chinese character or a closing quote and followed by spaces,
# before a clause of Chinese text (table cells are followed by none); the page lost its line breaks
_HEADLINE = re.compile(r"^(?:[^\s。！？；;，,：:、（()）]{4,40}?[\u4e00-\u9fff”」》][ \t\u3000\xa0]+)+(?=[\u4e00-\u9fff“「《][^\s]*?[，,。；;！？])")
# a sentence that is a marked short title ('二、压实园区管理责任。', '四是减轻企业负担。', '（三）加强督导。'): it
# names a section and what follows it is the section's content, so it takes what follows like a heading
# and so does a marked question of a question-and-answer list ('6、企业如何申请缓缴？'): what follows answers it
_TITLED = re.compile(rf"^(?:{MARK}|[一二三四五六七八九十]+是)(?:[^，,：:；;。！？]{{1,24}}[。！]?|[^：:；;。！？]{{1,60}}[？?])$")


@dataclass(frozen=True)
class Unit:
    """A sentence of a chunk (or an inline heading), with where it stands in the chunk's text."""

    text: str
    start: int
    end: int
    heading: bool = False
    titled: bool = False  # a marked short sentence: a heading when what follows is no list of its own
    title: bool = False  # the document's title run into the text: no candidate, and it takes nothing


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
    it ('园区将于3月2日起恢复对外办理') stays one."""
    end = len(headline.rstrip())
    return any(end - m.end() <= 1 for p in (DATE, MONTHS, PERIOD_SPAN, YEAR) for m in p.finditer(headline))


def _unit(text: str, start: int, end: int, heading: bool = False) -> Unit:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Unit(text[start:end], start, end, heading, not heading and bool(_TITLED.match(text[start:end])))
