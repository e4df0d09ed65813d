"""Chunk -> Chroma + BM25, with a manifest of file -> content hash for incremental, crash-safe runs.

Order of writes: upsert new vectors -> write a new generation folder -> swap CURRENT atomically ->
delete vectors of removed chunks -> drop old generations. A kill at any point leaves the previous
generation live; the next run cleans up what the killed one left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from chromadb.errors import NotFoundError

from app.errors import LoadError
from app.schema import Chunk
from app.settings import Settings
from app.store import (
    check_embedding,
    chroma_client,
    current_generation,
    embedding_function,
    embedding_signature,
    open_collection,
    read_chunks,
    read_manifest,
)
from app.text import tokenize, tokenizer
from ingest.chunk import chunk_document
from ingest.load import load, walk

_PARALLEL_MIN_CHARS = 300_000  # below this a process pool costs more than it saves
_PENDING = "PENDING"


@dataclass
class Summary:
    files_read: int = 0
    files_skipped: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_unchanged: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 2)
        return data


def _tokenize_batch(texts: list[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def tokenize_all(texts: list[str], meanwhile: Callable[[], None] = lambda: None) -> list[list[str]]:
    """jieba over many chunk texts; on big inputs a process pool (jieba is single-threaded) while this
    process runs `meanwhile` (the Chroma upsert, which does not need tokens)."""
    workers = os.cpu_count() or 1
    if workers < 2 or sum(map(len, texts)) < _PARALLEL_MIN_CHARS:
        meanwhile()
        return _tokenize_batch(texts)
    tokenizer()  # load the dictionary once; forked workers inherit it
    size = max(500, len(texts) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_tokenize_batch, texts[i : i + size]) for i in range(0, len(texts), size)]
        meanwhile()
        return [tokens for future in futures for tokens in future.result()]


def _source_of(root: Path, file: Path) -> str:
    """Relative to the folder the file was found under, prefixed by that folder's name: an index can move."""
    return f"{root.name}/{file.relative_to(root).as_posix()}"


def run_ingest(
    paths: list[Path],
    settings: Settings,
    rebuild: bool = False,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> Summary:
    """Bring the index in line with the files under `paths`; returns what happened."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    client = chroma_client(settings)
    if rebuild:
        _wipe(index_dir, client, settings)
    check_embedding(settings)
    collection = open_collection(settings, client)

    gen = current_generation(index_dir)
    old_chunks = read_chunks(gen) if gen else []
    old_tokens = _read_tokens(gen) if gen else []
    manifest: dict[str, Any] = read_manifest(gen)["files"] if gen else {}
    interrupted = (index_dir / _PENDING).exists()

    summary = Summary()
    files = list(walk(paths))
    scanned_roots = {f"{p.name}/" for p in paths if p.is_dir()}
    seen: set[str] = set()
    changed: set[str] = set()
    new_files: dict[str, dict[str, Any]] = {}
    new_chunks: list[Chunk] = []
    for root, file in progress(files) if progress else files:
        source = _source_of(root, file)
        seen.add(source)
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest and manifest.get(source, {}).get("hash") == digest:
            summary.files_read += 1
            continue
        changed.add(source)
        try:
            docs = load(file, source)
        except LoadError as exc:
            summary.files_skipped += 1
            summary.skipped.append({"path": source, "reason": str(exc)})
            continue
        summary.files_read += 1
        chunks = [c for d in docs for c in chunk_document(d, settings.chunk_chars)]
        new_chunks.extend(chunks)
        first = docs[0]
        new_files[source] = {
            "hash": digest,
            "title": first.title if len(docs) == 1 else file.name,
            "kind": first.kind,
            "date": first.date if len(docs) == 1 else "",
            "effective": first.effective,
            "documents": len(docs),
            "chunks": len(chunks),
            "bytes": file.stat().st_size,
        }

    gone = {s for s in manifest if s not in seen and any(s.startswith(r) for r in scanned_roots)}
    dropped = changed | gone
    kept = [(c, t) for c, t in zip(old_chunks, old_tokens, strict=True) if _file_of(c.source) not in dropped]
    new_chunks = list({c.id: c for c in new_chunks}.values())
    kept_ids = {c.id for c, _ in kept}
    new_chunks = [c for c in new_chunks if c.id not in kept_ids]

    old_ids = {c.id for c in old_chunks}
    all_chunks = [c for c, _ in kept] + new_chunks
    live_ids = {c.id for c in all_chunks}
    summary.chunks_added = len(live_ids - old_ids)
    summary.chunks_removed = len(old_ids - live_ids)
    summary.chunks_unchanged = len(live_ids & old_ids)

    files_out = {s: v for s, v in manifest.items() if s not in dropped}
    files_out.update(new_files)
    if summary.chunks_added or summary.chunks_removed or files_out != manifest or gen is None or interrupted:
        (index_dir / _PENDING).write_text("ingest in progress", encoding="utf-8")
        to_embed = [c for c in new_chunks if c.id not in old_ids]
        new_tokens = tokenize_all([c.index_text for c in new_chunks], lambda: _upsert(collection, to_embed, settings))
        all_tokens = [t for _, t in kept] + new_tokens
        _write_generation(index_dir, all_chunks, all_tokens, files_out)
        (index_dir / "embedding.json").write_text(
            json.dumps(embedding_signature(embedding_function(settings)), ensure_ascii=False), encoding="utf-8"
        )
        stale = list(old_ids - live_ids)
        if interrupted:
            stale = [i for i in collection.get(include=[])["ids"] if i not in live_ids]
        for i in range(0, len(stale), 5000):
            collection.delete(ids=stale[i : i + 5000])
        (index_dir / _PENDING).unlink()
    summary.seconds = time.perf_counter() - started
    return summary


def _file_of(source: str) -> str:
    return source.split("#", 1)[0]


def _read_tokens(gen: Path) -> list[list[str]]:
    with (gen / "tokens.txt").open(encoding="utf-8") as f:
        return [line.rstrip("\n").split(" ") if line.strip() else [] for line in f]


def _upsert(collection: Any, chunks: list[Chunk], settings: Settings) -> None:
    ef = embedding_function(settings)
    batch = 2000
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        texts = [c.index_text for c in part]
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=np.asarray(ef(texts), dtype=np.float32),
            metadatas=[{"source": c.source, "kind": c.kind, "locator": c.locator} for c in part],
        )


def _write_generation(index_dir: Path, chunks: list[Chunk], tokens: list[list[str]], files: dict[str, Any]) -> None:
    name = f"gen-{time.time_ns()}"
    tmp = index_dir / f"{name}.tmp"
    tmp.mkdir()
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
    with (tmp / "tokens.txt").open("w", encoding="utf-8") as f:
        for t in tokens:
            f.write(" ".join(t) + "\n")
    if chunks:
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        model.save(str(tmp / "bm25"))
    manifest = {"files": files, "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunks": len(chunks)}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.rename(index_dir / name)
    pointer = index_dir / "CURRENT.tmp"
    pointer.write_text(name, encoding="utf-8")
    with pointer.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / "CURRENT")
    for old in index_dir.glob("gen-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def _wipe(index_dir: Path, client: Any, settings: Settings) -> None:
    """--rebuild: drop the collection and every generation."""
    with contextlib.suppress(NotFoundError):
        client.delete_collection(settings.collection)
    for item in index_dir.iterdir():
        if item.name != "chroma":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
