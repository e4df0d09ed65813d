"""Chinese structure-aware chunking: structure first (headings, 第X章/条, 一、/（一）, 【看点】),
then sentences; never inside a sentence or a number. Each chunk keeps its heading path."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.schema import Chunk, Document, Section, content_id
from app.text import default_year_of, resolve_dates, split_sentences, years_in

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
    if short and prev_ended and len(line) >= 2 and not _ARTICLE.match(line):
        return 7
    return 0


def _units(text: str) -> list[_Unit]:
    """Lines -> units. A body line that stops mid-sentence (PDF line wraps, page breaks) is joined to
    the next body line, so a sentence is never cut."""
    units: list[_Unit] = []
    prev_ended = True
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        level = _heading_level(line, prev_ended)
        if level:
            units.append(_Unit(line, level))
            prev_ended = True
            continue
        article = m.group(1) if (m := _ARTICLE.match(line)) else ""
        if units and units[-1].level == 0 and not prev_ended and not article:
            units[-1].text += line
        else:
            units.append(_Unit(line, 0, article))
        prev_ended = line.endswith(_ENDS_SENTENCE)
    return units


def _heading_text(line: str) -> str:
    line = _MD.sub(r"\2", line).strip()
    if m := _MARKER.match(line):
        return m.group(1)
    return line


def _short(heading: str) -> str:
    """'谋创新拓赛道，布局未来发展“新蓝图”' -> '谋创新拓赛道' for display in a heading path."""
    head = re.split(r"[，,\s]", heading, maxsplit=1)[0]
    return head if len(head) >= 2 else heading


def _pack(paragraphs: list[str], max_chars: int) -> list[str]:
    """Greedy packing of paragraphs (or, for a long one, its sentences) up to max_chars.

    Sentences of one paragraph are re-joined as they were; paragraphs keep their line break.
    """
    pieces: list[tuple[str, bool]] = []  # (text, starts a new paragraph)
    for para in paragraphs:
        parts = [para] if len(para) <= max_chars else split_sentences(para)
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


def chunk_document(doc: Document, max_chars: int) -> list[Chunk]:
    """All chunks of one document, in reading order."""
    doc_year = int(doc.date[:4]) if doc.date[:4].isdigit() else None
    body = "\n".join(s.text for s in doc.sections if s.record is None)
    default = default_year_of(body, doc_year)
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    paragraph_no = 0

    def emit(text: str, locator: str, index_extra: str = "", section: Section | None = None) -> None:
        path_full = [h for lvl, h in stack if lvl > 1]
        heading_path = " > ".join(_short(h) for h in path_full)
        resolved = resolve_dates(text, doc_year, default)
        index_text = "\n".join(x for x in (doc.title, " ".join(path_full), index_extra, resolved) if x)
        periods = tuple(sorted(set(years_in(resolved)) | set(years_in(index_extra))))
        chunks.append(
            Chunk(
                id=content_id(doc.source, locator, text),
                source=doc.source,
                title=doc.title,
                kind=doc.kind,
                locator=locator,
                heading_path=heading_path if section is None or section.record is None else doc.title,
                text=text,
                index_text=index_text,
                doc_date=doc.date,
                periods=periods,
                default_year=str(default or ""),
                ordinal=len(chunks),
                record=section.record if section else None,
            )
        )

    for section in doc.sections:
        if section.record is not None:
            record = section.record
            emit(section.text, section.locator, f"{record.row_label} {record.column} {record.period}", section)
            continue
        group: list[str] = []
        group_start = paragraph_no + 1
        article = ""

        def flush() -> None:
            nonlocal group
            if not group:
                return
            where = article or (f"第{group_start}段" if group_start == paragraph_no else f"第{group_start}–{paragraph_no}段")
            if section.locator:
                where = f"{section.locator} {article}".strip() if article else section.locator
            for piece in _pack(group, max_chars):
                emit(piece, where)
            group = []

        for unit in _units(section.text):
            if unit.level:
                flush()
                article = ""
                while stack and stack[-1][0] >= unit.level:
                    stack.pop()
                stack.append((unit.level, _heading_text(unit.text)))
                continue
            if unit.article or (group and sum(map(len, group)) + len(unit.text) > max_chars):
                flush()
                if unit.article:
                    article = unit.article
            if not group:
                group_start = paragraph_no + 1
            paragraph_no += 1
            group.append(unit.text)
        flush()
    return chunks
