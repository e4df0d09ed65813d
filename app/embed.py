"""Embedding functions registered with Chroma, so a collection records which one built it.

The default needs no model: hashed character bigrams (sqrt counts), L2-normalised, compared by cosine.
It catches near-duplicate wording and names jieba splits oddly; BM25 does the heavy lifting. Bigrams only:
unigram counts are dominated by common characters, and dropping them keeps RGB recall@5 at 256 dimensions
equal to unigram+bigram vectors at 512 (0.845, docs/evaluation.md) with half the HNSW insert cost.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

_MUL = np.uint64(2654435761)
_BIGRAM = np.uint64(1000003)


def hash_vectors(texts: list[str], dim: int) -> np.ndarray:
    """(len(texts), dim) float32 rows: sqrt of hashed character-bigram counts, unit length.

    All texts at once in numpy (ingest embeds 5,000 chunks per call): lower-case in Python, then
    full-width to half-width on the code points (the same as `normalize(text).lower()`), drop spaces and
    control characters, hash each bigram that stays inside one text. A one-character text counts as
    the bigram of that character with itself, so it still gets a vector.
    """
    n = len(texts)
    if n == 0:
        return np.zeros((0, dim), dtype=np.float32)
    lowered = [t.lower() for t in texts]
    cps = np.frombuffer("".join(lowered).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    rows = np.repeat(np.arange(n), [len(t) for t in lowered])
    wide = (cps >= 0xFF01) & (cps <= 0xFF5E)
    cps[wide] -= np.uint64(0xFEE0)
    cps[cps == 0x3000] = 32
    keep = cps > 32
    cps, rows = cps[keep], rows[keep]
    per_row = np.bincount(rows, minlength=n)
    singles = np.flatnonzero(per_row == 1)
    lone = cps[np.searchsorted(rows, singles)]  # the one character of each one-character text
    first = np.concatenate([cps[:-1], lone])
    second = np.concatenate([cps[1:], lone])
    owner = np.concatenate([rows[:-1], singles])
    inside = np.concatenate([rows[:-1] == rows[1:], np.ones(len(singles), dtype=bool)])
    first, second, owner = first[inside], second[inside], owner[inside]
    buckets = (((first * _BIGRAM) ^ second) * _MUL) % np.uint64(dim)
    counts = np.bincount(owner * dim + buckets.astype(np.int64), minlength=n * dim).reshape(n, dim)
    vectors = np.sqrt(counts.astype(np.float32))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=vectors, where=norms > 0)


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Model-free default: works offline, deterministic, ~20k short texts per second."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        return list(hash_vectors(list(input), self.dim))

    @staticmethod
    def name() -> str:
        return "kbqa-char-bigram-hash"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(int(config.get("dim", 256)))


@register_embedding_function
class OpenAIEmbedding(EmbeddingFunction[Documents]):
    """Semantic vectors from any OpenAI-compatible /embeddings endpoint (KBQA_EMBED_MODEL).

    The key is never part of the config Chroma persists; it comes from Settings at run time.
    """

    def __init__(self, model: str, base_url: str = "", api_key: str = "", timeout_s: float = 30.0) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self.timeout_s = timeout_s

    def __call__(self, input: Documents) -> Embeddings:
        from openai import OpenAI, OpenAIError

        from app.errors import LLMError

        client = OpenAI(api_key=self._api_key or "none", base_url=self.base_url or None, timeout=self.timeout_s)
        vectors: list[Any] = []
        try:
            for i in range(0, len(input), 256):
                response = client.embeddings.create(model=self.model, input=list(input[i : i + 256]))
                vectors.extend(np.asarray(d.embedding, dtype=np.float32) for d in response.data)
        except OpenAIError as exc:
            raise LLMError(f"嵌入模型 {self.model} 调用失败：{type(exc).__name__}。请检查 KBQA_EMBED_MODEL 和接口地址。") from None
        return vectors

    @staticmethod
    def name() -> str:
        return "kbqa-openai-compatible"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbedding:
        return OpenAIEmbedding(str(config["model"]), str(config.get("base_url", "")))
