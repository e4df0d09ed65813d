"""The answer a named section's items make (app/sections.py finds the section): its heading as the lead-in,
then its items chunk by chunk, each cited, within the budget; an indicator sheet's rows by their labels.

Why a module of its own: finding the section is retrieval over the store's structure; writing its items into
200 characters is composition, with its own rules for where a cut may fall.
"""

from __future__ import annotations

import re

from app.choose import Extracted, cite_all
from app.compose import MAX_ANSWER_CHARS, citation, defuse_markers, opens, whole_clauses
from app.dates import resolve_dates
from app.schema import Chunk, Citation
from app.sections import MIN_HEADING, heading_core, row_header

_CLAUSE_SPLIT = re.compile(r"(?<=[，,；;：:])")
SECTION_ITEM = 10  # characters: a chunk's items shown in fewer are no item (the budget is spent)
_LINE_END = ("。", "！", "？", "；", "，", "：", "!", "?", ";", ",", ":")


def section_answer(chunks: list[Chunk], budget: int = MAX_ANSWER_CHARS) -> Extracted | None:
    """'加快科技成果转化要做哪几件事' (app.sections.named_section): the named section's heading as the lead-in, then its items,
    chunk by chunk in document order, each chunk cited; whole clauses as far as the budget allows, and a
    subsection's chunk led by its own heading. Its items do not repeat the heading's words, so the answer is
    marked `structural`: the refusal model, which weighs a sentence's own words, does not score it."""
    if any(c.record is not None for c in chunks):
        return _rows_answer(chunks, budget)
    if not chunks:
        return None
    parts: list[str] = []
    cites: list[Citation] = []
    path = ""
    for chunk in chunks:
        lead = chunk.heading_path.rsplit(" > ", 1)[-1] if chunk.heading_path != path else ""
        path = chunk.heading_path
        doc_year = int(chunk.doc_date[:4]) if chunk.doc_date[:4].isdigit() else None
        in_force = int(chunk.default_year) if chunk.default_year.isdigit() else None
        body = resolve_dates(_lines(chunk.text), doc_year, in_force)
        head = f"{defuse_markers(lead).rstrip('：:')}：" if lead else ""
        room = budget - 1 - len("；".join(parts)) - (1 if parts else 0) - len(head) - len(cite_all(len(cites) + 1))
        items = _ended(whole_clauses(body, room), body).rstrip("；;，,。") if room >= SECTION_ITEM else ""
        if len(items) < SECTION_ITEM:
            break
        cites.append(citation(len(cites) + 1, chunk, chunk.text.strip()))
        parts.append(f"{head}{defuse_markers(items)}")
    if not parts:
        return None
    first = chunks[0]
    return Extracted("；".join(parts) + cite_all(len(cites)) + "。", True, tuple(cites), evidence=_lines(first.text),
                     heading_path=first.heading_path, title=first.title, structural=True)


def _rows_answer(chunks: list[Chunk], budget: int) -> Extracted | None:
    """An indicator sheet's items: its rows' labels in sheet order, each cited by its first record (whose fact
    names the row), as many as fit the budget."""
    heading = chunks[0].heading_path.rsplit(" > ", 1)[-1]
    if len(heading_core(heading)) < MIN_HEADING:  # '表1' says nothing of its rows; its first column's header does
        heading = row_header(chunks) or heading
    text = f"{defuse_markers(heading)}："
    cites: list[Citation] = []
    seen: set[str] = set()
    for chunk in chunks:
        label = chunk.record.row_label.strip() if chunk.record is not None else ""
        if not label or label in seen:
            continue
        piece = f"{'、' if cites else ''}{defuse_markers(label)}"
        if len(text) + len(piece) + len(cite_all(len(cites) + 1)) + 1 > budget:
            break
        seen.add(label)
        text += piece
        cites.append(citation(len(cites) + 1, chunk, chunk.text.strip()))
    if len(cites) < 2:
        return None
    records = tuple(c.record for c in chunks if c.record is not None and c.id in {x.chunk_id for x in cites})
    return Extracted(text + cite_all(len(cites)) + "。", True, tuple(cites), records=records, heading_path=chunks[0].heading_path,
                     title=chunks[0].title, structural=True)


_SENTENCE_ENDS = ("。", "！", "？", "；", "!", "?", ";")


def _ended(items: str, body: str) -> str:
    """Items cut short of the body end where a sentence ends, when one ends in their second half ('甲…居首。乙…
    第二。凭借…的成效' -> up to '第二。'): a sentence cut after its opening clause
    says nothing. Otherwise they end on a clause that does not lead into the next one ("" when every one does)."""
    if items == body:
        return items
    end = max(items.rfind(mark) for mark in _SENTENCE_ENDS) + 1
    if end * 2 >= len(items):
        return items[:end]
    clauses = [c for c in _CLAUSE_SPLIT.split(items) if c]
    while clauses and opens(clauses[-1]):
        clauses.pop()
    return "".join(clauses)


def _lines(text: str) -> str:
    """A chunk's lines as one run of text: a line that ends without punctuation (an item of a list, a table
    row) is closed with '；', so its words do not run into the next line's."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "".join(line if line.endswith(_LINE_END) else f"{line}；" for line in lines)
