"""The live index opened for reading: its chunks in BM25 order, the BM25 model, the Chroma collection, and
the lexical and vector searches over them (app/index_files.py: the folder's layout and generations;
app/chroma.py: the client and collection).

chromadb is imported where a client or an embedding is made, not with this module (app/chroma.py says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from app.chroma import (
    check_embedding,
    chroma_client,
    chroma_in_step,
    chroma_in_step_with,
    embedding_function,
    open_collection,
)
from app.errors import IndexStateError
from app.index_files import current_name, read_chunks, read_manifest
from app.schema import Chunk
from app.settings import Settings

# Up to this many chunks a default-embedding index is searched exactly, in numpy, over vectors computed
# again from the chunks' text (the embedding is a function of the text alone): the 5 MB matrix of 5k
# chunks stays in cache and its product takes ~0.25 ms, where a Chroma query costs ~5 ms at any size
# (per-call overhead, and ef_search 800 visits nearly every node of a small graph). Here the graph already
# finds nearly the exact neighbours (top-50 overlap 0.99 at 955 chunks), so this is a speed change; on RGB's
# 6,100 chunks it finds 86% of them, and searching exactly there changes retrieval (lenient accuracy
# 0.795 -> 0.785, lead equal). bench/ann_recall.py --index-dir measures the overlap of a built index.
EXACT_MAX_CHUNKS = 5_000


@dataclass
class Store:
    """A read-only view of the live index: chunks in BM25 order, the BM25 model, the collection."""

    settings: Settings
    chunks: list[Chunk]
    by_id: dict[str, int]
    bm25: bm25s.BM25 | None
    collection: Any
    manifest: dict[str, Any]
    embedder: Any  # the embedding function the collection was opened with (one client per Store)
    generation: str = ""  # the generation folder these chunks came from: a different CURRENT means reload
    # every chunk's default-embedding vector, by position: built at the first vector search of a small index
    _matrix: np.ndarray | None = field(default=None, init=False, repr=False)
    _text_matrix: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)  # dim -> rows of chunk.text
    _idf: dict[str, float] = field(default_factory=dict, init=False, repr=False)  # indexed words' idf, asked many times a question

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Open the live generation. A publish may remove the generation CURRENT named while it is read
        (two publishes during one open); CURRENT then names a newer one, so it is read once more."""
        try:
            return cls._open(settings)
        except FileNotFoundError:
            try:
                return cls._open(settings)
            except FileNotFoundError as exc:
                raise IndexStateError(
                    f"索引 {settings.index_dir} 的当前版本缺少文件（{exc.filename}），可能正在更新。请稍后重试；"
                    "若一直如此，请运行 python -m ingest 重新编入索引。"
                ) from None

    @classmethod
    def _open(cls, settings: Settings) -> Store:
        name = current_name(settings.index_dir)
        if not name:
            raise IndexStateError(f"索引不存在：{settings.index_dir}。请先运行 python -m ingest 建立索引。")
        gen = settings.index_dir / name
        if not gen.is_dir():
            raise FileNotFoundError(2, "generation folder is gone", str(gen))
        check_embedding(settings)
        chunks = read_chunks(gen)
        bm25 = bm25s.BM25.load(str(gen / "bm25")) if chunks else None
        collection = open_collection(settings, chroma_client(settings, fresh=not chroma_in_step_with(settings, name)))
        chroma_in_step(settings, name)
        return cls(
            settings=settings,
            chunks=chunks,
            by_id={c.id: i for i, c in enumerate(chunks)},
            bm25=bm25,
            collection=collection,
            manifest=read_manifest(gen),
            embedder=embedding_function(settings),
            generation=gen.name,
        )

    def knows(self, token: str) -> bool:
        """Whether any indexed chunk contains the token."""
        return self.bm25 is not None and token in self.bm25.vocab_dict

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token; unknown tokens get the highest (rarest) value."""
        if (kept := self._idf.get(token)) is not None:
            return kept
        n = max(1, len(self.chunks))
        df = 0
        if self.bm25 is None or (tid := self.bm25.vocab_dict.get(token)) is None:
            return float(np.log(1 + (n + 0.5) / 0.5))  # not kept: only the index's own words are (bounded)
        indptr = self.bm25.scores["indptr"]
        df = int(indptr[tid + 1] - indptr[tid])
        value = self._idf[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return value

    def bm25_search(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) with score > 0, best first."""
        if self.bm25 is None or not tokens:
            return []
        vocab = self.bm25.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(tokens) if t in vocab]
        if not ids:
            return []
        scores = self.bm25.get_scores_from_ids(ids)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(i, score) for i, score in zip(top.tolist(), scores[top].tolist(), strict=True) if score > 0]

    def query_vector(self, text: str) -> np.ndarray:
        """The question embedded by the function that built the index (unit length for cosine)."""
        from app.embed import HashingEmbedding, hash_vectors  # with chromadb: never at import (see above)

        if isinstance(self.embedder, HashingEmbedding):  # the same vector without Chroma's call wrapper (validation)
            return hash_vectors([text], self.embedder.dim)[0]
        return np.asarray(self.embedder([text])[0], dtype=np.float32)

    def vector_search(self, text: str, k: int, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine distance — lower is better) for chunks of the live generation."""
        if not self.chunks:
            return []
        if vector is None:
            vector = self.query_vector(text)
        matrix = self._exact_matrix()
        if matrix is not None:
            # cosine distance of unit vectors; ties by position, as retrieval breaks them
            distances = 1.0 - matrix @ vector / (float(np.linalg.norm(vector)) or 1.0)
            k = min(k, len(distances))
            top = np.argpartition(distances, k - 1)[:k]
            top = top[np.lexsort((top, distances[top]))]
            return list(zip(top.tolist(), distances[top].tolist(), strict=True))
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=min(k, len(self.chunks)),
            include=["distances"],
        )
        out = []
        for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True):
            pos = self.by_id.get(cid)
            if pos is not None:
                out.append((pos, float(dist)))
        return out

    def exact_distances(self, vector: np.ndarray, positions: list[int]) -> dict[int, float]:
        """Cosine distances of the stored vectors of these chunks: the HNSW graph only approximates them,
        and on our nearly orthogonal vectors two builds of it rank the same chunks differently."""
        if not positions:
            return {}
        from app.embed import HashingEmbedding, hash_vectors  # with chromadb: never at import (see above)

        matrix = self._exact_matrix()
        if matrix is not None:
            found: list[int | None] = list(positions)
            stored = matrix[positions]
        elif isinstance(self.embedder, HashingEmbedding):
            # The default embedding is a function of the chunk's text alone, so the stored vector is the
            # one computed again (within one unit in float32's last place: Chroma renormalises it). ~80 texts hash
            # in ~0.3 ms, where fetching them from Chroma took 3-6 ms a question at any index size.
            found = list(positions)
            stored = hash_vectors([self.chunks[p].index_text for p in positions], self.embedder.dim)
        else:
            got = self.collection.get(ids=[self.chunks[p].id for p in positions], include=["embeddings"])
            found = [self.by_id.get(cid) for cid in got["ids"]]
            stored = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        norms = np.linalg.norm(stored, axis=1) * float(np.linalg.norm(vector))
        sims = (stored @ vector) / np.where(norms > 0, norms, 1.0)
        return {pos: 1.0 - sim for pos, sim in zip(found, sims.tolist(), strict=True) if pos is not None}

    def _exact_matrix(self) -> np.ndarray | None:
        """Every chunk's vector, for exact search of an index small enough (EXACT_MAX_CHUNKS) built with the
        default embedding; None otherwise (a model's vectors live only in Chroma). Built once per Store:
        chunks never change within a generation, and a new generation opens a new Store."""
        from app.embed import HashingEmbedding, hash_vectors  # with chromadb: never at import (see above)

        if self._matrix is None and isinstance(self.embedder, HashingEmbedding) and len(self.chunks) <= EXACT_MAX_CHUNKS:
            self._matrix = hash_vectors([c.index_text for c in self.chunks], self.embedder.dim)
        return self._matrix

    def text_vectors(self, positions: list[int], dim: int) -> np.ndarray:
        """Hashed-bigram vectors of these chunks' quoted text (retrieval compares hits by them to fold copies):
        kept for every chunk of an index small enough to search exactly, computed per call past it."""
        from app.embed import hash_vectors  # with chromadb: never at import (see above)

        if len(self.chunks) > EXACT_MAX_CHUNKS:
            return hash_vectors([self.chunks[p].text for p in positions], dim)
        if dim not in self._text_matrix:
            self._text_matrix[dim] = hash_vectors([c.text for c in self.chunks], dim)
        return self._text_matrix[dim][positions]
