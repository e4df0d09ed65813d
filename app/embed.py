"""Embedding functions registered with Chroma, so a collection records which one built it.

The default needs no model: hashed character unigrams and bigrams, L2-normalised, compared by cosine.
It catches near-duplicate wording and names jieba splits oddly; BM25 does the heavy lifting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from app.text import normalize

_MUL = np.uint64(2654435761)
_BIGRAM = np.uint64(1000003)


def hash_vectors(texts: list[str], dim: int) -> np.ndarray:
    """(len(texts), dim) float32 rows: sqrt of hashed char 1-/2-gram counts, unit length."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    d = np.uint64(dim)
    for row, text in enumerate(texts):
        cps = np.frombuffer(normalize(text).lower().encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        cps = cps[cps > 32]
        if cps.size == 0:
            continue
        uni = (cps * _MUL) % d
        counts = np.bincount(uni.astype(np.int64), minlength=dim).astype(np.float32) * 0.5
        if cps.size > 1:
            bi = (((cps[:-1] * _BIGRAM) ^ cps[1:]) * _MUL) % d
            counts += np.bincount(bi.astype(np.int64), minlength=dim).astype(np.float32)
        vec = np.sqrt(counts)
        norm = float(np.linalg.norm(vec))
        out[row] = vec / norm if norm else vec
    return out


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Model-free default: works offline, deterministic, ~20k short texts per second."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        return list(hash_vectors(list(input), self.dim))

    @staticmethod
    def name() -> str:
        return "kbqa-char-ngram-hash"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(int(config.get("dim", 512)))
