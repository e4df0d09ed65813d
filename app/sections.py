"""The part of a document a list question asks for, found by the document's structure: the section it names
('加快科技成果转化要做哪几件事' names the section headed '三、加快科技成果转化'), the sections a sentence announces
('…抓好下面四件事。'), or the parts of a document it names by its title ('…工作回顾分为哪几个部分').
app/section_items.py writes the answer a named section's items make.

Why: a section's items do not repeat its heading, which is where the question's words are. Ranked sentence by
sentence, each item covers few of the question's words, scores low and the answer is refused (or, for
'包括哪些工作', the headings of every sibling section are listed instead of the one asked about). When the
question names a section's heading, the section is the answer: its heading as the lead-in and its text as
the items, from every chunk of the section (a long section is cut into several). The tests are structural:
the words of a heading (without its list marker) or of a title part stand in the question; the heading is
one of at least two sibling sections of a document (app/siblings.py), not the document's title.
"""

from __future__ import annotations

import re
from functools import cache

from app.candidates import Candidate
from app.compose import match_form
from app.dates import resolve_dates, years_in
from app.patterns import YEAR_NIAN
from app.query import Query
from app.schema import Chunk, Hit
from app.sentences import MARK
from app.siblings import document_chunks, sibling_hits
from app.store import Store
from app.tags import pos_tag, pos_tokenizer
from app.text import word_list
from app.tokens import tokenize

# verbs, adjectives, adverbs (not nominal verbs, vn: '服务'): what a heading says is done, not what it is about
_ACTION_TAGS = frozenset({"v", "vd", "a", "ad", "d"})
# coordinating words, a closed class: jieba tags '与' a preposition even between two noun phrases
_COORDINATORS = frozenset({"与", "和", "及", "以及", "暨"})
MIN_HEADING = 4  # characters of a heading (without its marker) a question can name: '人物' names no section
SECTION_HITS = 3  # the section is looked for among this many best hits: a lower one is no longer what was found

_MARKER = re.compile(rf"^\s*{MARK}\s*")


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
    return any(_named_part(tokenize(part), asked) for part in _conjuncts(core)) or _named_part(words, asked)


def _named_part(words: list[str], asked: str) -> bool:
    """Whether the question names these words of a heading, its verbs and adjectives left out (names_heading)."""
    words = [w for w in words if pos_tag(w) not in _ACTION_TAGS]
    size = sum(len(w) for w in words if not any(w != o and w in o for o in words))
    return size >= MIN_HEADING and all(w in asked for w in words)


@cache
def _conjuncts(core: str) -> tuple[str, ...]:
    """A heading's parts where a conjunction joins two topics ('服务企业与项目保障' -> '服务企业', '项目保障'); ()
    for a heading of one topic. A question about one of them ('在服务企业上做了什么') names the section: its
    items speak of both, and the part asked about is among them."""
    parts, current = [], ""
    for piece in pos_tokenizer().cut(core):  # type: ignore[attr-defined]
        if piece.flag == "c" or piece.word in _COORDINATORS:
            parts.append(current)
            current = ""
        else:
            current += piece.word
    parts.append(current)
    return tuple(p for p in parts if p) if len(parts) > 1 else ()


def named_section(store: Store, query: Query, hits: list[Hit]) -> list[Chunk]:
    """The chunks of the section the question names, in document order, from the first of the best
    SECTION_HITS hits whose own heading the question names; [] when none does. A section's chunks are the
    consecutive chunks under its heading (its subsections' included). An indicator sheet (its records) is a
    section even when it is the whole document: its rows are the items, unless the question names a measure
    ('营收增速'): then it asks the rows' figures, which the ranked records answer."""
    for strict, hit in [(s, h) for s in (True, False) for h in hits[:SECTION_HITS]]:  # a heading named whole first
        path = hit.chunk.heading_path
        heading = path.rsplit(" > ", 1)[-1]
        if not heading:
            continue
        if not names_heading(query.text, heading, strict):
            if strict or hit.chunk.record is None or query.metric:
                continue
            chunks = section_chunks(document_chunks(store, hit.chunk), path)
            label = row_header(chunks)
            if len(label) >= 2 and label in match_form(query.text):
                return chunks  # '附表列出了哪些支持事项': the rows of the column the question names
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


COLUMNS_LEAD = "指标："  # how a table's header chunk lists its columns (ingest/tables.py writes it)


def row_header(chunks: list[Chunk]) -> str:
    """The header of a table's first column, which holds its rows' labels ('支持事项'), in match form; "" when
    the table states none. A question that asks for that column's entries ('列出了哪些支持事项') asks for the
    table's rows even where its heading is a bare number ('表1') the question cannot name."""
    head = next((c.text for c in chunks if c.record is None and COLUMNS_LEAD in c.text), "")
    columns = head.rsplit(COLUMNS_LEAD, 1)[-1].rstrip("。") if head else ""
    return match_form(re.split(r"[、，,]", columns)[0]) if columns else ""


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


MIN_TITLE = 6  # characters of the title part (without its years) a question names a document by
_TITLE_PARTS = re.compile(r"[：:，,——（）()]+")  # a title's parts: headline, subtitle, a bracketed remark


@cache
def part_nouns() -> frozenset[str]:
    """app/data/part_nouns.txt: nouns that name a document's parts ('部分', '方面')."""
    return frozenset(word_list("part_nouns.txt"))


def names_title(question: str, title: str) -> bool:
    """Whether the question names a document by one part of its title ('…工业经济运行回顾' of '2025年平湖工业
    经济运行回顾：总量稳步攀升…'): the part's words stand in the question, leaving out its years, verbs and
    adjectives and its place names (a local knowledge base's documents are about its own place); the part is at
    least MIN_TITLE characters long."""
    asked = match_form(question)
    for part in _TITLE_PARTS.split(title):
        core = heading_core(part)
        words = [w for w in tokenize(core) if pos_tag(w) not in _ACTION_TAGS and pos_tag(w) != "ns"]
        if len(core) >= MIN_TITLE and words and all(w in asked for w in words):
            return True
    return False


def named_document(store: Store, query: Query, hits: list[Hit]) -> list[Hit]:
    """The top-level sections of a document the list question names by its title and asks the parts of
    ('2025年工业经济运行回顾分为哪几个部分'): one hit per section (app/siblings.py), when every other noun of the
    question names a part (app/data/part_nouns.txt), so that '…综述中哪些企业入选' is not answered by the
    document's headings; [] otherwise."""
    for hit in hits[:SECTION_HITS]:
        title = hit.chunk.title
        if not title or hit.chunk.record is not None or not names_title(query.text, title):
            continue
        said = match_form(title)
        if any(pos_tag(t).startswith("n") and t not in said and t not in part_nouns() for t in query.content):
            return []
        top = next((c for c in document_chunks(store, hit.chunk) if c.heading_path and " > " not in c.heading_path), None)
        sections = sibling_hits(store, Hit(top, 0.0, 1)) if top is not None else []
        # the title set as a heading of its own (a text file's first line) is the document, not one of its parts
        parts = [h for h in sections if match_form(h.chunk.heading_path) != said]
        return [Hit(h.chunk, h.score, rank) for rank, h in enumerate(parts, start=1)]
    return []


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
