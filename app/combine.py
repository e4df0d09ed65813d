"""Joining the answers of a question's parts ('A和B分别…', two questions in one line) into one answer."""

from __future__ import annotations

import re
from dataclasses import replace

from app.choose import Extracted
from app.compose import MAX_ANSWER_CHARS, clauses_of, defuse_markers, without_repeats
from app.schema import Citation

_MARKERS = re.compile(r"(?:\[\d+\])+")
_MARKER = re.compile(r"\[(\d+)\]")
_PIECE_EDGE = "；;，, "


def combine(answers: list[Extracted], parts: list[str]) -> Extracted:
    """Join part answers so that the answer leads with every part's answer: each part's first cited piece
    (or, for a part without evidence, the sentence saying which) in the question's order, then the parts'
    supporting pieces. Joined part by part, part 2's value came after part 1's supporting piece, so a reader
    (and the lead metric: the first n pieces for n parts) met a supporting sentence before the second answer.
    Citations are renumbered in the order a reader meets them, each keeping its source; a piece that only
    says clauses already said is left out, and supporting pieces go (last first) when the answer would pass
    MAX_ANSWER_CHARS."""
    heads: list[str] = []
    tails: list[str] = []
    cites: list[Citation] = []
    for part, asked in zip(answers, parts, strict=True):
        if not part.answerable:
            asked = defuse_markers(asked.rstrip("？?。"))  # a '[3]' the user typed is no citation of ours
            heads.append(f"“{asked}”在知识库中未找到依据" if len(asked) <= 40 else "其中一部分在知识库中未找到依据")
            continue
        offset = len(cites)
        cites.extend(replace(c, n=c.n + offset) for c in part.citations)
        pieces = cited_pieces(renumber(part.text, offset))
        heads.append(pieces[0])
        tails.extend(pieces[1:])
    said: set[str] = set()
    kept = [p for p in (_unsaid(p, said) for p in heads) if p]
    supporting = [p for p in (_unsaid(p, said) for p in tails) if p]
    while supporting and len("；".join(kept + supporting)) + 1 > MAX_ANSWER_CHARS:
        supporting.pop()
    text, cited = in_reading_order("；".join(kept + supporting) + "。", cites)
    records = tuple(r for a in answers for r in a.records)
    return Extracted(text, True, cited, (), records)


def cited_pieces(text: str) -> list[str]:
    """A part's answer cut after each group of [n] markers: 'A[1]；B[2]。' -> ['A[1]', 'B[2]']. What follows
    the last group stays with the last piece as written, without the closing 。 ('A[1]。（注：较早的…）',
    'A[1]，其中…'): a '。' put before a clause that opens with '，' reads as a stray stop."""
    out: list[str] = []
    start = 0
    for group in _MARKERS.finditer(text):
        out.append(text[start:group.end()].strip(_PIECE_EDGE))
        start = group.end()
    rest = text[start:].strip().rstrip("。")
    if not out:
        return [text.rstrip("。")]
    if rest.startswith("。"):
        rest = "。" + rest[1:].strip()
    out[-1] += rest  # its own punctuation kept: '…五家[1]，其中制造业三家', '…[1]。（注：…）'
    return out


def _unsaid(piece: str, said: set[str]) -> str:
    """The piece without the clauses an earlier piece said (its markers kept), '' when it adds nothing; the
    clauses it says are added to `said`."""
    group = _MARKERS.search(piece)
    if group is None:
        return piece
    words, markers, rest = piece[:group.start()], group.group(), piece[group.end():]
    if said:
        words = without_repeats(words, said)
        if not words:
            return ""
    said.update(clauses_of(words))
    return words.rstrip(_PIECE_EDGE + "。") + markers + rest


def in_reading_order(text: str, cites: list[Citation]) -> tuple[str, tuple[Citation, ...]]:
    """Markers renumbered 1, 2, … in the order they appear and the citations in that order, each with its
    own source; a citation no marker points at any more (its piece left out) is dropped."""
    order: dict[int, int] = {}
    for m in _MARKER.finditer(text):
        order.setdefault(int(m.group(1)), len(order) + 1)
    by_n = {c.n: c for c in cites}
    renumbered = _MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", text)
    return renumbered, tuple(replace(by_n[old], n=new) for old, new in order.items() if old in by_n)


def renumber(text: str, offset: int) -> str:
    """Shift every [n] marker in text by offset."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", text)
