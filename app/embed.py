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

from app.text import normalize

_MUL = np.uint64(2654435761)
_BIGRAM = np.uint64(1000003)


def hash_vectors(texts: list[str], dim: int) -> np.ndarray:
    """(len(texts), dim) float32 rows: sqrt of hashed character-bigram counts, unit length."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    d = np.uint64(dim)
    for row, text in enumerate(texts):
        cps = np.frombuffer(normalize(text).lower().encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        cps = cps[cps > 32]
        if cps.size == 0:
            continue
        if cps.size == 1:  # a one-character text still gets a vector
            cps = np.repeat(cps, 2)
        bi = (((cps[:-1] * _BIGRAM) ^ cps[1:]) * _MUL) % d
        vec = np.sqrt(np.bincount(bi.astype(np.int64), minlength=dim).astype(np.float32))
        norm = float(np.linalg.norm(vec))
        out[row] = vec / norm if norm else vec
    return out


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
