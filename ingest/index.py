"""Chunk -> Chroma + BM25, with a manifest of file -> content hash for incremental, crash-safe runs.

Order of writes: upsert new vectors while the new generation's files are written -> swap CURRENT
atomically -> delete vectors of removed chunks -> drop old generations. A kill at any point leaves the
previous generation live; the next run cleans up what the killed one left behind.

Where the time goes on big inputs (100k chunks, 2 cores): Chroma's HNSW insert keeps about 1.4 cores busy,
jieba one. So once the files are chunked, a forked child tokenizes and writes the BM25 index and chunk
files while this process imports Chroma and upserts; nothing is pickled between them, and the child is
forked before any Chroma thread exists. 100k chunks: 54 s -> 21 s (docs/evaluation.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import bm25s
import numpy as np

from app.errors import IndexStateError, LoadError
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
from app.text import tokenize
from ingest.chunk import chunk_document
from ingest.load import load, walk

_PARALLEL_MIN_CHARS = 300_000  # below this, forking a writer costs more than it saves
_PENDING = "PENDING"
_T = TypeVar("_T")


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


def _alongside(foreground: Callable[[], _T], background: Callable[[], None], big: bool) -> _T:
    """Run `background` in a forked child while this process runs `foreground`; one after the other when
    the input is small (a fork costs more than it saves) or the platform cannot fork. The child only
    tokenizes and writes files: it is forked before this process opens Chroma, and never touches it."""
    if not big or "fork" not in multiprocessing.get_all_start_methods():
        result = foreground()
        background()
        return result
    child = multiprocessing.get_context("fork").Process(target=background, name="kbqa-index-writer")
    child.start()
    try:
        result = foreground()
    finally:
        child.join()
    if child.exitcode != 0:
        raise IndexStateError(
            f"写入 BM25 索引与片段文件的子进程异常退出（退出码 {child.exitcode}），旧索引仍然可用。"
            "请查看上方的错误信息（常见原因：磁盘已满、索引目录无写权限）后重新运行 python -m ingest。"
        )
    return result


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
    if rebuild:
        _wipe_files(index_dir)  # the collection is dropped when Chroma is opened, below

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
        to_embed = [c for c in new_chunks if c.id not in old_ids]
        kept_tokens = [t for _, t in kept]
        name = f"gen-{time.time_ns()}"
        collection = _alongside(
            lambda: _fill_chroma(settings, to_embed, rebuild),
            lambda: _write_generation(index_dir / f"{name}.tmp", all_chunks, kept_tokens, files_out),
            big=sum(len(c.index_text) for c in new_chunks) >= _PARALLEL_MIN_CHARS,
        )
        _publish(index_dir, name)
        (index_dir / "embedding.json").write_text(
            json.dumps(embedding_signature(embedding_function(settings)), ensure_ascii=False), encoding="utf-8"
        )
        stale = list(old_ids - live_ids)
        if interrupted:
            stale = [i for i in collection.get(include=[])["ids"] if i not in live_ids]
        for i in range(0, len(stale), 5000):
            collection.delete(ids=stale[i : i + 5000])
        (index_dir / _PENDING).unlink()
    else:
        check_embedding(settings)  # nothing to write, but a changed embedding setting is still refused
    summary.seconds = time.perf_counter() - started
    return summary


def _fill_chroma(settings: Settings, chunks: list[Chunk], rebuild: bool) -> Any:
    """Open (after --rebuild: recreate) the collection and upsert the chunks' vectors; returns it.

    Refuses an embedding setting other than the one that built the index before writing anything. The
    PENDING marker goes down before the first vector does, so the next run knows to delete vectors of a
    generation that never went live."""
    check_embedding(settings)
    client = chroma_client(settings)
    if rebuild:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            client.delete_collection(settings.collection)
    collection = open_collection(settings, client)
    (settings.index_dir / _PENDING).write_text("ingest in progress", encoding="utf-8")
    _upsert(collection, chunks, settings)
    return collection


def _file_of(source: str) -> str:
    return source.split("#", 1)[0]


def _read_tokens(gen: Path) -> list[list[str]]:
    with (gen / "tokens.txt").open(encoding="utf-8") as f:
        return [line.rstrip("\n").split(" ") if line.strip() else [] for line in f]


def _upsert(collection: Any, chunks: list[Chunk], settings: Settings) -> None:
    """Ids and vectors only: provenance lives in the generation's chunks.jsonl under the same ids, and
    Chroma's metadata rows cost a third of the upsert (8 of 25 s at 100k chunks) for nothing we read."""
    ef = embedding_function(settings)
    batch = 5000  # Chroma's local limit is 5,461 per call; fewer, larger calls insert faster
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        texts = [c.index_text for c in part]
        collection.upsert(ids=[c.id for c in part], embeddings=np.asarray(ef(texts), dtype=np.float32))


def _write_generation(tmp: Path, chunks: list[Chunk], kept_tokens: list[list[str]], files: dict[str, Any]) -> None:
    """One generation's files in `tmp`: chunks, their tokens (the first `len(kept_tokens)` chunks are
    unchanged and keep theirs; the rest are tokenized here), the BM25 index and the manifest."""
    tokens = kept_tokens + [tokenize(c.index_text) for c in chunks[len(kept_tokens) :]]
    tmp.mkdir()
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in chunks)
    with (tmp / "tokens.txt").open("w", encoding="utf-8") as f:
        f.writelines(" ".join(t) + "\n" for t in tokens)
    if chunks:
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        model.save(str(tmp / "bm25"))
    manifest = {"files": files, "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunks": len(chunks)}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _publish(index_dir: Path, name: str) -> None:
    """Make the written generation live: rename, swap CURRENT atomically, drop older generations."""
    (index_dir / f"{name}.tmp").rename(index_dir / name)
    pointer = index_dir / "CURRENT.tmp"
    pointer.write_text(name, encoding="utf-8")
    with pointer.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / "CURRENT")
    for old in index_dir.glob("gen-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def _wipe_files(index_dir: Path) -> None:
    """--rebuild: drop every generation and marker (the collection goes when Chroma is opened)."""
    for item in index_dir.iterdir():
        if item.name != "chroma":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
