"""Store.exact_distances recomputes the default embedding's vectors instead of fetching them from Chroma:
the distances must be those of the stored vectors, and every chunk must get one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.settings import Settings
from app.store import EXACT_MAX_CHUNKS, Store
from ingest.index import run_ingest


def test_recomputed_distances_are_the_stored_vectors(tiny_kb: Path, settings: Settings) -> None:
    run_ingest([tiny_kb], settings)
    store = Store.open(settings)
    positions = list(range(len(store.chunks)))
    assert len(positions) >= 5
    vector = store.query_vector("2025年人工智能产业规上营收是多少")
    ours = store.exact_distances(vector, positions)
    got = store.collection.get(ids=[c.id for c in store.chunks], include=["embeddings"])
    stored = np.asarray(got["embeddings"], dtype=np.float32)
    sims = stored @ vector / (np.linalg.norm(stored, axis=1) * np.linalg.norm(vector))
    reference = {store.by_id[cid]: 1.0 - float(s) for cid, s in zip(got["ids"], sims, strict=True)}
    assert ours.keys() == reference.keys() == set(positions)
    for pos in positions:
        assert abs(ours[pos] - reference[pos]) < 1e-6, store.chunks[pos].text
    assert sorted(ours, key=ours.__getitem__)[:3] == sorted(reference, key=reference.__getitem__)[:3]
    assert store.exact_distances(vector, []) == {}


def test_a_small_index_is_searched_exactly_from_the_chunk_texts(tiny_kb: Path, settings: Settings) -> None:
    """Up to EXACT_MAX_CHUNKS the default embedding's neighbours come from the chunks' own texts in numpy
    (a Chroma query cost ~5 ms a question at any size): they are the exact cosine top k, ties by position,
    and they do not depend on Chroma's graph — here emptied after the store opened."""
    run_ingest([tiny_kb], settings)
    store = Store.open(settings)
    assert 5 <= len(store.chunks) <= EXACT_MAX_CHUNKS
    text = "2025年人工智能产业规上营收是多少"
    vector = store.query_vector(text)
    everything = store.exact_distances(vector, list(range(len(store.chunks))))
    expected = sorted(everything.items(), key=lambda x: (x[1], x[0]))[:4]
    store.collection.delete(ids=[c.id for c in store.chunks])
    found = store.vector_search(text, 4)
    assert [pos for pos, _ in found] == [pos for pos, _ in expected]
    for (_, got), (_, want) in zip(found, expected, strict=True):
        assert abs(got - want) < 1e-6
    assert len(store.vector_search(text, 1000)) == len(store.chunks)  # k past the index: every chunk once


def test_kept_text_vectors_are_those_computed_per_call(tiny_kb: Path, settings: Settings) -> None:
    """Retrieval folds near-copies by the hashed vectors of the hits' quoted text; a small index keeps them
    for every chunk instead of hashing ~20 texts per question, and they must be the same vectors."""
    from app.embed import hash_vectors

    run_ingest([tiny_kb], settings)
    store = Store.open(settings)
    positions = [len(store.chunks) - 1, 0, 2]
    kept = store.text_vectors(positions, 64)
    assert np.array_equal(kept, hash_vectors([store.chunks[p].text for p in positions], 64))
    assert np.array_equal(store.text_vectors(positions, 64), kept)
