"""Records that cross pipeline stages: small, frozen, with content-derived ids and provenance."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


def content_id(*parts: str) -> str:
    """A stable id from content, so re-running ingest upserts instead of duplicating."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:20]


@dataclass(frozen=True)
class Record:
    """One data cell of an indicator sheet, with the cell it came from."""

    sheet: str
    cell: str
    row_label: str
    column: str
    value: str
    unit: str
    period: str
    fact: str


@dataclass(frozen=True)
class Section:
    """A located piece of a loaded document: a page, a table, a record, or the whole body."""

    text: str
    locator: str = ""
    record: Record | None = None


@dataclass(frozen=True)
class Document:
    """A loaded file (or one line of a .jsonl corpus) before chunking."""

    source: str
    title: str
    kind: str
    date: str
    sections: tuple[Section, ...]
    effective: str = ""


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval. `text` keeps the original words (what we quote); `index_text` has
    the heading path and relative dates resolved (what retrieval sees)."""

    id: str
    source: str
    title: str
    kind: str
    locator: str
    heading_path: str
    text: str
    index_text: str
    doc_date: str
    periods: tuple[str, ...]
    default_year: str
    ordinal: int
    record: Record | None = None

    def to_json(self) -> dict[str, Any]:
        # field by field: dataclasses.asdict deep-copies and costs 6 s per 100k chunks
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        data["periods"] = list(self.periods)
        data["record"] = self.record.__dict__.copy() if self.record else None
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Chunk:
        record = Record(**data["record"]) if data.get("record") else None
        return Chunk(**{**data, "periods": tuple(data["periods"]), "record": record})


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score (higher is better) and rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    locator: str
    quote: str
    chunk_id: str
    doc_date: str = ""
    heading_path: str = ""


@dataclass(frozen=True)
class Answer:
    """What the CLI prints and the UI renders; `to_json` is the public contract."""

    id: str
    question: str
    answer: str
    answerable: bool
    citations: tuple[Citation, ...]
    mode: str
    elapsed_ms: float
    verified: bool = True
    unsupported: tuple[str, ...] = ()
    rewritten: str = ""
    related: tuple[Citation, ...] = ()
    notice: str = ""
    records: tuple[Record, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "citations": [
                {k: v for k, v in asdict(c).items() if k in _CITATION_KEYS} for c in self.citations
            ],
            "mode": self.mode,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "verified": self.verified,
            "unsupported": list(self.unsupported),
            "rewritten": self.rewritten,
            "related": [{k: v for k, v in asdict(c).items() if k in _CITATION_KEYS} for c in self.related],
            "notice": self.notice,
        }


_CITATION_KEYS = ("n", "source", "title", "locator", "quote", "chunk_id")
