"""The one place that opens Chroma and the BM25 index.

Index directory layout (all under `Settings.index_dir`):
    chroma/            Chroma PersistentClient (unused when KBQA_CHROMA_HOST points at a server)
    embedding.json     which embedding function built the vectors; a mismatch asks for --rebuild
    CURRENT            name of the live generation folder, swapped atomically by ingest
    gen-*/             chunks.jsonl, tokens.txt, bm25/, manifest.json of one ingest run (the live one and
                       the one before it, so a reader that read CURRENT just before a publish still finds it)
    LOCK               held (flock) by the one ingest allowed to write; says who holds it
    KBQA_INDEX         marks the folder as ours: --rebuild deletes only inside a folder that has it

Chroma may briefly hold vectors of a generation that never went live (a killed ingest): queries only
return ids present in the live generation, so deleted or half-written content is never answered.

chromadb is imported where a client is made, not with this module: it takes 0.4 s, and ingest forks its
index writer before touching Chroma (a child forked from a process running Chroma's threads would inherit
their locks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from app.errors import IndexStateError
from app.schema import Chunk
from app.settings import Settings

# Hashed-bigram vectors are nearly orthogonal to each other, which makes HNSW graphs hard to navigate: with
# Chroma's defaults the top 50 agree with exact search on 79% of RGB questions (64% on a 100k corpus).
# A sparser graph built with a narrower beam (M 8, ef_construction 32) makes ingest of 100k chunks 2.4x
# faster, and a wider search (ef_search 800, ~2.5 ms more per question) brings agreement to 86% (80%).
# bench/ann_recall.py; docs/evaluation.md.
HNSW = {"space": "cosine", "ef_construction": 32, "max_neighbors": 8, "ef_search": 800}
# Up to this many chunks a default-embedding index is searched exactly, in numpy, over vectors computed
# again from the chunks' text (the embedding is a function of the text alone): the 5 MB matrix of 5k
# chunks stays in cache and its product takes ~0.25 ms, where a Chroma query costs ~5 ms at any size
# (per-call overhead, and ef_search 800 visits nearly every node of a small graph). Here the graph already
# finds nearly the exact neighbours (top-50 overlap 0.99 at 955 chunks), so this is a speed change; on RGB's
# 6,100 chunks it finds 86% of them, and searching exactly there changes retrieval (lenient accuracy
# 0.795 -> 0.785, lead equal). bench/ann_recall.py --index-dir measures the overlap of a built index.
EXACT_MAX_CHUNKS = 5_000

LOCK = "LOCK"
MARKER = "KBQA_INDEX"
# What an index folder holds; a folder with anything else is not ours, and ingest will not write or wipe it.
_OURS = {"chroma", "CURRENT", "CURRENT.tmp", "embedding.json", "PENDING", LOCK, MARKER}
_GENERATION = re.compile(r"gen-\d+(\.tmp)?")
_LOCK_POLL_S = 0.2


class IndexBusyError(IndexStateError):
    """Another ingest holds the index's writer lock and did not finish within KBQA_INGEST_WAIT_S."""


def foreign_entries(index_dir: Path) -> list[str]:
    """Names in `index_dir` that no index of ours writes (empty when the folder is ours, empty or missing).

    An index from before the marker existed holds only our names, so it is still recognised."""
    if not index_dir.is_dir() or (index_dir / MARKER).exists():
        return []
    return sorted(p.name for p in index_dir.iterdir() if p.name not in _OURS and not _GENERATION.fullmatch(p.name))


def _holder(lock_file: Path) -> str:
    try:
        info = json.loads(lock_file.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "另一个建索引进程"
    return f"{info.get('host', '?')} 上的进程 {info.get('pid', '?')}（{info.get('command', '?')}，开始于 {info.get('since', '?')}）"


@contextlib.contextmanager
def writer_lock(settings: Settings, command: str = "") -> Iterator[None]:
    """Hold the index's one writer lock for a whole ingest: two writers interleaving their upserts, publishes
    and deletions leave vectors missing and CURRENT pointing at a deleted generation. Waits up to
    `settings.ingest_wait_s`, then raises IndexBusyError naming who holds it. The kernel drops the lock when
    the holder dies, so a killed ingest never blocks the next one."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / LOCK
    deadline = time.monotonic() + settings.ingest_wait_s
    with path.open("a+", encoding="utf-8") as f:
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"索引 {settings.index_dir} 正在被 {_holder(path)} 更新，已等待 {settings.ingest_wait_s:g} 秒。"
                        "请等它完成后再试；若需要等得更久，请调大 KBQA_INGEST_WAIT_S。"
                    ) from None
                time.sleep(_LOCK_POLL_S)
        try:
            f.truncate(0)
            f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                                "command": command or " ".join(["python", *sys.argv])}, ensure_ascii=False))
            f.flush()
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def embedding_function(settings: Settings) -> Any:
    """The embedding function the settings ask for (model-free hashing unless KBQA_EMBED_MODEL)."""
    from app.embed import HashingEmbedding, OpenAIEmbedding

    if settings.embed_model:
        return OpenAIEmbedding(settings.embed_model, settings.llm_base_url, settings.llm_api_key)
    return HashingEmbedding(settings.embed_dim)


def embedding_signature(ef: Any) -> dict[str, Any]:
    return {"name": ef.name(), "config": ef.get_config()}


# index folder -> the generation this process's local Chroma was last in step with (see chroma_client)
_CHROMA_VIEW: dict[str, str] = {}


def chroma_client(settings: Settings, fresh: bool = False) -> Any:
    """A Chroma client for the settings. `fresh` matters for the local PersistentClient: Chroma keeps one
    in-memory view per folder and process, and another process's writes never reach it (gets of new ids
    fail with 'Error finding id', deleted ids keep answering), so a fresh view is built for a writer and
    for a reader that finds a generation it has not seen. Clients already handed out keep their view."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    if fresh:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def chroma_in_step(settings: Settings, generation: str) -> None:
    """Record that this process's local Chroma view matches `generation` (it wrote it, or just read it)."""
    _CHROMA_VIEW[str(settings.index_dir.resolve())] = generation


def _chroma_in_step_with(settings: Settings, generation: str) -> bool:
    return bool(settings.chroma_host) or _CHROMA_VIEW.get(str(settings.index_dir.resolve())) == generation


def open_collection(settings: Settings, client: Any | None = None) -> Any:
    """The chunk collection, opened with our embedding function and cosine space."""
    client = client or chroma_client(settings)
    ef = embedding_function(settings)
    try:
        return client.get_or_create_collection(
            settings.collection, embedding_function=ef, configuration={"hnsw": HNSW}
        )
    except ValueError as exc:
        raise IndexStateError(
            f"索引中的向量由另一种嵌入方式构建，与当前设置（{ef.name()}）不符：请运行 python -m ingest --rebuild 重建索引。（{exc}）"
        ) from None


def check_embedding(settings: Settings) -> None:
    """Refuse to mix vectors of two embedding functions in one index."""
    marker = settings.index_dir / "embedding.json"
    if not marker.exists():
        return
    built = json.loads(marker.read_text(encoding="utf-8"))
    wanted = embedding_signature(embedding_function(settings))
    if built != wanted:
        raise IndexStateError(
            f"索引由嵌入方式 {built['name']} {built['config']} 构建，当前设置为 {wanted['name']} {wanted['config']}："
            "两者不能混用，请运行 python -m ingest --rebuild 重建索引。"
        )


def current_name(index_dir: Path) -> str:
    """The live generation's folder name ('' when there is no index): cheap enough to check per question."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def current_generation(index_dir: Path) -> Path | None:
    name = current_name(index_dir)
    if not name:
        return None
    gen = index_dir / name
    return gen if gen.is_dir() else None


def read_chunks(gen: Path) -> list[Chunk]:
    with (gen / "chunks.jsonl").open(encoding="utf-8") as f:
        return [Chunk.from_json(json.loads(line)) for line in f if line.strip()]


def read_manifest(gen: Path) -> dict[str, Any]:
    return dict(json.loads((gen / "manifest.json").read_text(encoding="utf-8")))


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
        collection = open_collection(settings, chroma_client(settings, fresh=not _chroma_in_step_with(settings, name)))
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
