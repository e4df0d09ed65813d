"""Chinese structure-aware chunking: structure first (headings, 第X章/条, 一、/（一）, 【看点】),
then sentences; never inside a sentence or a number. Each chunk keeps its heading path."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.dates import default_year_of, resolve_dates, years_in
from app.patterns import DOCNO
from app.schema import Chunk, Document, Section, content_id
from app.text import split_sentences

_MD = re.compile(r"^(#{1,6})\s+(.+)$")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇\d]+章\s*\S*")
_SECTION = re.compile(r"^第[一二三四五六七八九十百零〇\d]+节\s*\S*")
_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+条)[\s　]*")
_CN_NUM = re.compile(r"^[一二三四五六七八九十]+、")
_CN_PAREN = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
_ARABIC = re.compile(r"^\d{1,2}[.、．](?!\d)")
_ARABIC_PAREN = re.compile(r"^[（(]\d{1,2}[)）]")
_MARKER = re.compile(r"^【([^】]{1,10})】$")
_ENDS_SENTENCE = tuple("。！？!?；;：:”」』）)…")
_NO_HEADING_END = tuple("。！？!?；;，,、：:")


@dataclass
class _Unit:
    text: str
    level: int = 0  # 0 = body text; otherwise heading level (smaller = higher)
    article: str = ""


def _is_docno(line: str) -> bool:
    """A line that ends in a 文号 ('平经信〔2025〕12号'): a value of the document to cite, never a heading,
    and a line of its own (no closing mark, yet not a sentence running on)."""
    return bool((m := DOCNO.search(line)) and m.end() == len(line))


def _heading_level(line: str, prev_ended: bool) -> int:
    """The heading level of a line, or 0 for body text."""
    if _MD.match(line):
        return len(_MD.match(line).group(1))  # type: ignore[union-attr]
    if _MARKER.match(line):
        return 8
    short = len(line) <= 30 and not line.endswith(_NO_HEADING_END) and "。" not in line
    if _CHAPTER.match(line) and short:
        return 2
    if _SECTION.match(line) and short:
        return 3
    if _CN_NUM.match(line) and short:
        return 4
    if _CN_PAREN.match(line) and short:
        return 5
    if (_ARABIC.match(line) or _ARABIC_PAREN.match(line)) and short:
        return 6
    if short and prev_ended and len(line) >= 2 and not _ARTICLE.match(line) and not re.search(r"[，,]", line) \
            and not _is_docno(line):
        return 7
    return 0


_GUESSED = 7  # the level of a short plain line taken for a heading only by its shape


def _units(text: str) -> list[_Unit]:
    """Lines -> units. A body line that stops mid-sentence (PDF line wraps, page breaks) is joined to
    the next body line, so a sentence is never cut.

    A short plain line is a heading only if body text follows it: a list of short fact lines without
    。 (each shaped like a heading) is body text, not a stack of empty headings that yields no chunk
    and loses all but the last line. The first line keeps its heading shape: it is the title.
    """
    lines = [raw.strip() for raw in text.splitlines() if raw.strip()]
    units: list[_Unit] = []
    prev_ended = True
    for i, line in enumerate(lines):
        level = _heading_level(line, prev_ended)
        # ... and none when another heading of its level or above follows ('印发日期：…' before '第一章')
        if level == _GUESSED and i and (i + 1 == len(lines) or 0 < _heading_level(lines[i + 1], True) <= _GUESSED):
            units.append(_Unit(line))
            continue
        if level:
            units.append(_Unit(line, level))
            prev_ended = True
            continue
        article = m.group(1) if (m := _ARTICLE.match(line)) else ""
        if units and units[-1].level == 0 and not prev_ended and not article:
            units[-1].text += line
        else:
            units.append(_Unit(line, 0, article))
        prev_ended = line.endswith(_ENDS_SENTENCE) or _is_docno(line)
    return units


def _heading_text(line: str) -> str:
    line = _MD.sub(r"\2", line).strip()
    if m := _MARKER.match(line):
        return m.group(1)
    return line


def _short(heading: str) -> str:
    """'强链补链，培育发展新动能' -> '强链补链' for display in a heading path."""
    head = re.split(r"[，,\s]", heading, maxsplit=1)[0]
    return head if len(head) >= 4 and not re.match(r"^第.+[章节]$", head) else heading


_CLAUSE_END = re.compile(r"(?<=[，,；;、：:\s])")


def _cut(piece: str, max_chars: int) -> list[str]:
    """A sentence longer than max_chars (lines without 。 joined, a table row pasted as text) cut after
    clause marks, and where a clause is still too long, at max_chars but never inside a number."""
    if len(piece) <= max_chars:
        return [piece]
    out: list[str] = []
    current = ""
    for clause in _CLAUSE_END.split(piece):
        while len(clause) > max_chars:
            at = max_chars
            while at > max_chars // 2 and clause[at - 1 : at + 1].replace(".", "0").isdigit():
                at -= 1
            clause, head = clause[at:], clause[:at]
            if current:
                out.append(current)
                current = ""
            out.append(head)
        if current and len(current) + len(clause) > max_chars:
            out.append(current)
            current = ""
        current += clause
    if current:
        out.append(current)
    return out


def _pack(paragraphs: list[str], max_chars: int) -> list[str]:
    """Greedy packing of paragraphs (or, for a long one, its sentences) up to max_chars.

    Sentences of one paragraph are re-joined as they were; paragraphs keep their line break.
    """
    pieces: list[tuple[str, bool]] = []  # (text, starts a new paragraph)
    for para in paragraphs:
        parts = [para] if len(para) <= max_chars else split_sentences(para)
        parts = [cut for part in parts for cut in _cut(part, max_chars)]
        pieces.extend((part, i == 0) for i, part in enumerate(parts))
    out: list[str] = []
    current = ""
    for piece, new_para in pieces:
        if current and len(current) + len(piece) + 1 > max_chars:
            out.append(current)
            current = ""
        current = f"{current}\n{piece}" if current and new_para else current + piece
    if current:
        out.append(current)
    return out


class _Chunker:
    """Walks one document's sections, keeping the heading stack and paragraph count across pages."""

    def __init__(self, doc: Document, max_chars: int) -> None:
        self.doc = doc
        self.max_chars = max_chars
        self.doc_year = int(doc.date[:4]) if doc.date[:4].isdigit() else None
        body = "\n".join(s.text for s in doc.sections if s.record is None)
        self.default = default_year_of(body, self.doc_year)
        self.chunks: list[Chunk] = []
        self.stack: list[tuple[int, str]] = []
        self.paragraph_no = 0
        self.group: list[str] = []
        self.group_start = 0
        self.article = ""

    def emit(self, text: str, locator: str, index_extra: str = "", section: Section | None = None) -> None:
        record = section.record if section else None
        path_full = [h for lvl, h in self.stack if lvl > 1]
        resolved = resolve_dates(text, self.doc_year, self.default)
        index_text = "\n".join(x for x in (self.doc.title, " ".join(path_full), index_extra, resolved) if x)
        self.chunks.append(
            Chunk(
                id=content_id(self.doc.source, locator, text),
                source=self.doc.source,
                title=self.doc.title,
                kind=self.doc.kind,
                locator=locator,
                heading_path=record.sheet if record else " > ".join(_short(h) for h in path_full),
                text=text,
                index_text=index_text,
                doc_date=self.doc.date,
                periods=tuple(sorted(set(years_in(resolved)) | set(years_in(index_extra)))),
                default_year=str(self.default or ""),
                ordinal=len(self.chunks),
                record=record,
            )
        )

    def flush(self, page: str) -> None:
        if not self.group:
            return
        if self.group_start == self.paragraph_no:
            where = f"第{self.group_start}段"
        else:
            where = f"第{self.group_start}–{self.paragraph_no}段"
        if page:
            where = f"{page} {self.article}".strip()
        elif self.article:
            where = self.article
        for piece in _pack(self.group, self.max_chars):
            self.emit(piece, where)
        self.group = []

    def section(self, section: Section) -> None:
        if section.record is not None:
            r = section.record
            self.emit(section.text, section.locator, f"{r.row_label} {r.column} {r.period}", section)
            return
        if "!" in section.locator:  # a sheet's description sits under the sheet, not the body's headings
            self.stack[:] = [(2, section.locator.split("!", 1)[0])]
            self.article = ""
        page = section.locator
        for unit in _units(section.text):
            if unit.level:
                self.flush(page)
                self.article = ""
                while self.stack and self.stack[-1][0] >= unit.level:
                    self.stack.pop()
                self.stack.append((unit.level, _heading_text(unit.text)))
                continue
            if unit.article or (self.group and sum(map(len, self.group)) + len(unit.text) > self.max_chars):
                self.flush(page)
                if unit.article:
                    self.article = unit.article
            if not self.group:
                self.group_start = self.paragraph_no + 1
            self.paragraph_no += 1
            self.group.append(unit.text)
        self.flush(page)


CHUNKER_VERSION = "chunker-4"  # bump when loaders or the chunker cut the same file into other chunks


def chunker_signature(max_chars: int) -> str:
    """Recorded in the manifest: chunks of two chunkers (or sizes) never mix in one index."""
    return f"{CHUNKER_VERSION}/{max_chars}"


def chunk_document(doc: Document, max_chars: int) -> list[Chunk]:
    """All chunks of one document, in reading order."""
    chunker = _Chunker(doc, max_chars)
    for section in doc.sections:
        chunker.section(section)
    return chunker.chunks
