"""The one place that opens Chroma: the client, the chunk collection with our embedding function and
HNSW settings, and the check that an index's vectors were built by the embedding the settings ask for.

Chroma may briefly hold vectors of a generation that never went live (a killed ingest): queries only
return ids present in the live generation, so deleted or half-written content is never answered.

chromadb is imported where a client is made, not with this module: it takes 0.4 s, and ingest forks its
index writer before touching Chroma (a child forked from a process running Chroma's threads would inherit
their locks).
"""

from __future__ import annotations

import json
from typing import Any

from app.errors import IndexStateError
from app.settings import Settings

# Hashed-bigram vectors are nearly orthogonal to each other, which makes HNSW graphs hard to navigate: with
# Chroma's defaults the top 50 agree with exact search on 79% of RGB questions (64% on a 100k corpus).
# A sparser graph built with a narrower beam (M 8, ef_construction 32) makes ingest of 100k chunks 2.4x
# faster, and a wider search (ef_search 800, ~2.5 ms more per question) brings agreement to 86% (80%).
# bench/ann_recall.py; docs/evaluation.md.
HNSW = {"space": "cosine", "ef_construction": 32, "max_neighbors": 8, "ef_search": 800}


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


def chroma_in_step_with(settings: Settings, generation: str) -> bool:
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
