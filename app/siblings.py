"""Retrieval helper: the sibling sections of a hit ('有哪些重点工作' is answered by the headings under the
best hit's parent heading, each cited by its own chunk).

Why here and not in the extractor: the extractor reads only the hits it is given. Sibling sections are
more retrieval — chunks found by their place in a document rather than by their words — so they are
fetched here, from the hit's neighbours in the store (one document's chunks are stored together), and
handed to the extractor as hits.
"""

from __future__ import annotations

import re

from app.schema import Chunk, Hit
from app.store import Store

_METADATA = re.compile(r"[:：]|日期")  # '发布日期：…' lines are metadata, not sections


def sibling_hits(store: Store, hit: Hit) -> list[Hit]:
    """One hit per sibling section of `hit` (its first chunk), in document order, the hit's own section
    included; [] when the hit has no heading. Only the chunks of the hit's document are read."""
    top = hit.chunk
    if not top.heading_path:
        return []
    parent = top.heading_path.rsplit(" > ", 1)[0] if " > " in top.heading_path else ""
    seen: dict[str, Hit] = {}
    for chunk in _document_chunks(store, hit):
        if not chunk.heading_path:
            continue
        if parent and not chunk.heading_path.startswith(parent + " > "):
            continue
        if not parent and " > " in chunk.heading_path:
            continue
        heading = chunk.heading_path.rsplit(" > ", 1)[-1]
        if not _METADATA.search(heading) and heading not in seen:
            seen[heading] = Hit(chunk, hit.score, len(seen) + 1)
    return list(seen.values())


def document_chunks(store: Store, chunk: Chunk) -> list[Chunk]:
    """The chunks of a chunk's document (app.gate: the place a passage calls 我市 is named elsewhere in it)."""
    return _document_chunks(store, Hit(chunk, 0.0, 1))


def _document_chunks(store: Store, hit: Hit) -> list[Chunk]:
    """The chunks of the hit's document: its neighbours in the store with the same source."""
    pos = store.by_id.get(hit.chunk.id)
    if pos is None:
        return [hit.chunk]
    chunks = store.chunks
    first = pos
    while first > 0 and chunks[first - 1].source == hit.chunk.source:
        first -= 1
    last = pos
    while last + 1 < len(chunks) and chunks[last + 1].source == hit.chunk.source:
        last += 1
    return chunks[first : last + 1]
