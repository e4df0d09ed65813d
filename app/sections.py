"""The section a list question names ('加快科技成果转化要做哪几件事' names the section headed
'三、加快科技成果转化'), read whole from the store, and the answer its items make.

Why: a section's items do not repeat its heading, which is where the question's
words are. Ranked sentence by sentence, each item covers few of the question's words, scores low and the
answer is refused (or, for '包括哪些工作', the headings of every sibling section are listed instead of the one
asked about). When the question names a section's heading, the section is the answer: its heading as the
lead-in and its text as the items, from every chunk of the section (a long section is cut into several).
The test is structural: every word of the heading, without its list marker, stands in the question; the
heading is one of at least two sibling sections of a document (app/siblings.py), not the document's title.
"""

from __future__ import annotations

import re

from app.candidates import Candidate
from app.choose import Extracted
from app.compose import MAX_ANSWER_CHARS, _items, citation, defuse_markers, match_form, opens
from app.patterns import YEAR_NIAN
from app.query import Query
from app.schema import Chunk, Citation, Hit
from app.sentences import _MARK
from app.siblings import document_chunks, sibling_hits
from app.store import Store
from app.text import pos_tag, resolve_dates, tokenize, years_in

# verbs, adjectives, adverbs (not nominal verbs, vn: '服务'): what a heading says is done, not what it is about
_ACTION_TAGS = frozenset({"v", "vd", "a", "ad", "d"})
MIN_HEADING = 4  # characters of a heading (without its marker) a question can name: '人物' names no section
SECTION_HITS = 3  # the section is looked for among this many best hits: a lower one is no longer what was found

_MARKER = re.compile(rf"^\s*{_MARK}\s*")


def heading_core(heading: str) -> str:
    """A heading without its list marker and its years, in match form: '三、加快“科技”成果转化' -> '加快科技成果转化',
    '2027年科技指标' -> '科技指标' (a question that names a sheet or a section need not repeat its year; the year
    the question asks is gated on its own, app/refusal.py)."""
    return match_form(YEAR_NIAN.sub("", _MARKER.sub("", heading)))


def names_heading(question: str, heading: str, strict: bool = True) -> bool:
    """Whether the question names the heading: each of the heading's words (its marker left out) stands in the
    question, in any order ('科技成果加快转化' names '三、加快科技成果转化'). Not `strict`: except the verbs and
    adjectives a plan's heading opens with ('壮大…产业', '加快…'), which a question about it often leaves out; the
    other words must then come to MIN_HEADING characters ('第二章 支持措施' without its verb is a bare '措施')."""
    core = heading_core(heading)
    if len(core) < MIN_HEADING:
        return False
    asked = match_form(question)
    words = tokenize(core)
    if strict:
        return bool(words) and all(w in asked for w in words)
    words = [w for w in words if pos_tag(w) not in _ACTION_TAGS]
    size = sum(len(w) for w in words if not any(w != o and w in o for o in words))
    return size >= MIN_HEADING and all(w in asked for w in words)


def named_section(store: Store, query: Query, hits: list[Hit]) -> list[Chunk]:
    """The chunks of the section the question names, in document order, from the first of the best
    SECTION_HITS hits whose own heading the question names; [] when none does. A section's chunks are the
    consecutive chunks under its heading (its subsections' included). An indicator sheet (its records) is a
    section even when it is the whole document: its rows are the items, unless the question names a measure
    ('营收增速'): then it asks the rows' figures, which the ranked records answer."""
    for strict, hit in [(s, h) for s in (True, False) for h in hits[:SECTION_HITS]]:  # a heading named whole first
        path = hit.chunk.heading_path
        heading = path.rsplit(" > ", 1)[-1]
        if not heading or not names_heading(query.text, heading, strict):
            continue
        chunks = section_chunks(document_chunks(store, hit.chunk), path)
        if query.years and not any(_of_years(c, set(query.years)) for c in chunks):
            continue
        if any(c.record is not None for c in chunks):
            if query.metric:
                continue
            return chunks
        if match_form(heading) != match_form(hit.chunk.title) and len(sibling_hits(store, hit)) >= 2:
            return chunks
    return []


def _of_years(chunk: Chunk, years: set[str]) -> bool:
    """Whether a chunk may speak of one of the asked years, as the ranker reads it (app/rank.py): the years its
    words state (relative ones resolved, a record's period), else the years its document reports on; a chunk
    that names none speaks of any year."""
    doc_year = int(chunk.doc_date[:4]) if chunk.doc_date[:4].isdigit() else None
    in_force = int(chunk.default_year) if chunk.default_year.isdigit() else None
    text = chunk.record.fact if chunk.record is not None else resolve_dates(chunk.text, doc_year, in_force)
    stated = set(years_in(text)) | (set(years_in(chunk.record.period)) if chunk.record is not None else set())
    known = stated or set(chunk.periods) | ({chunk.default_year} if chunk.default_year else set())
    return not known or bool(known & years)


# words that point at what follows ('重点抓好下面七件事。', '主要措施如下。'): a closed class of deixis, the
# sentence's own '：' when it has none
_FORWARD = re.compile(r"以下|下面|下列|如下")


def announced_sections(store: Store, best: Candidate) -> list[Hit]:
    """The sections a chunk's last sentence announces ('全年重点抓好下面七件事。' before '一、…', '二、…'): one hit
    per sibling section of the next chunk of its document (app/siblings.py), when the best candidate is that
    sentence, it points forward (a '：' or `_FORWARD`) and the next chunk opens a section of its own; else []."""
    chunk = best.chunk
    quote = best.quote.strip()
    pos = store.by_id.get(chunk.id)
    if chunk.record is not None or pos is None or pos + 1 >= len(store.chunks) or not quote \
            or not chunk.text.rstrip().endswith(quote):
        return []
    if not (quote.endswith(("：", ":")) or _FORWARD.search(quote)):
        return []
    nxt = store.chunks[pos + 1]
    if nxt.source != chunk.source or not nxt.heading_path or nxt.heading_path == chunk.heading_path:
        return []
    return sibling_hits(store, Hit(nxt, 0.0, 1))


def section_chunks(document: list[Chunk], path: str) -> list[Chunk]:
    """The first run of consecutive chunks of a document under the heading path `path`."""
    out: list[Chunk] = []
    for chunk in document:
        inside = chunk.heading_path == path or chunk.heading_path.startswith(path + " > ")
        if inside:
            out.append(chunk)
        elif out:
            break
    return out


_CLAUSE_SPLIT = re.compile(r"(?<=[，,；;：:])")
SECTION_ITEM = 10  # characters: a chunk's items shown in fewer are no item (the budget is spent)
_LINE_END = ("。", "！", "？", "；", "，", "：", "!", "?", ";", ",", ":")


def section_answer(chunks: list[Chunk], budget: int = MAX_ANSWER_CHARS) -> Extracted | None:
    """'加快科技成果转化要做哪几件事' (`named_section`): the named section's heading as the lead-in, then its items,
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
        room = budget - 1 - len("；".join(parts)) - (1 if parts else 0) - len(head) - len(f"[{len(cites) + 1}]")
        items = _ended(_items(body, room), body).rstrip("；;，,。") if room >= SECTION_ITEM else ""
        if len(items) < SECTION_ITEM:
            break
        cites.append(citation(len(cites) + 1, chunk, chunk.text.strip()))
        parts.append(f"{head}{defuse_markers(items)}[{len(cites)}]")
    if not parts:
        return None
    first = chunks[0]
    return Extracted("；".join(parts) + "。", True, tuple(cites), evidence=_lines(first.text),
                     heading_path=first.heading_path, title=first.title, structural=True)


def _rows_answer(chunks: list[Chunk], budget: int) -> Extracted | None:
    """An indicator sheet's items: its rows' labels in sheet order, each cited by its first record (whose fact
    names the row), as many as fit the budget."""
    heading = chunks[0].heading_path.rsplit(" > ", 1)[-1]
    text = f"{defuse_markers(heading)}："
    cites: list[Citation] = []
    seen: set[str] = set()
    for chunk in chunks:
        label = chunk.record.row_label.strip() if chunk.record is not None else ""
        if not label or label in seen:
            continue
        piece = f"{'、' if cites else ''}{defuse_markers(label)}[{len(cites) + 1}]"
        if len(text) + len(piece) + 1 > budget:
            break
        seen.add(label)
        text += piece
        cites.append(citation(len(cites) + 1, chunk, chunk.text.strip()))
    if len(cites) < 2:
        return None
    records = tuple(c.record for c in chunks if c.record is not None and c.id in {x.chunk_id for x in cites})
    return Extracted(text + "。", True, tuple(cites), records=records, heading_path=chunks[0].heading_path,
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
