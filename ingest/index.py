"""Chunk -> Chroma + BM25, with a manifest of file -> content hash for incremental, crash-safe runs.

One writer at a time (an flock on the index's LOCK file, held for the whole run). Order of writes: upsert
a vector for every live chunk that lacks one while the new generation's files are written -> swap CURRENT
in one rename -> drop generations older than the one just replaced -> delete vectors no live chunk has. A
kill at any point leaves the previous generation live; the next run cleans up what the killed one left.

Where the time goes on big inputs (100k chunks, 2 cores): Chroma's HNSW insert keeps about 1.4 cores busy,
jieba one. So once the files are chunked, a forked child tokenizes and writes the BM25 index and chunk
files while this process imports Chroma and upserts; nothing is pickled between them, and the child is
forked before any Chroma thread exists. 100k chunks: 54 s -> 21 s (docs/evaluation.md).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
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

from app.chroma import (
    check_embedding,
    chroma_client,
    chroma_in_step,
    embedding_function,
    embedding_signature,
    open_collection,
)
from app.errors import ConfigError, IndexStateError, LoadError
from app.index_files import (
    LOCK,
    MARKER,
    current_generation,
    current_name,
    foreign_entries,
    read_chunks,
    read_manifest,
    writer_lock,
)
from app.schema import Chunk
from app.settings import Settings
from app.tokens import tokenize, tokenizer_signature
from ingest.chunk import chunk_document, chunker_signature
from ingest.load import UNREADABLE_FOLDER, load, walk
from ingest.policy import policy_fields

_PARALLEL_MIN_CHARS = 300_000  # below this, forking a writer costs more than it saves
_PENDING = "PENDING"
_T = TypeVar("_T")
logger = logging.getLogger(__name__)


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


def _frozen(work: Callable[[], None]) -> None:
    """Run `work` in a forked child that never collects what it inherited. A process that has used Chroma
    (the UI, a test run, an ingest that replaced its Chroma view) holds unreachable Chroma objects; freed
    in the child, their Rust destructors wait forever for runtime threads that fork did not copy (seen:
    the writer hung in gc, the ingest waited on it)."""
    gc.freeze()
    work()


def _alongside(foreground: Callable[[], _T], background: Callable[[], None], big: bool) -> _T:
    """Run `background` in a forked child while this process runs `foreground`; one after the other when
    the input is small (a fork costs more than it saves) or the platform cannot fork. The child only
    tokenizes and writes files: it is forked before this process opens Chroma, and never touches it."""
    if not big or "fork" not in multiprocessing.get_all_start_methods():
        result = foreground()
        background()
        return result
    child = multiprocessing.get_context("fork").Process(target=_frozen, args=(background,), name="kbqa-index-writer")
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


def kb_roots(settings: Settings) -> list[Path]:
    """The folders documents live under; a document's name is its path relative to one of them."""
    return [settings.kb_dir]


def _locate(path: Path, roots: list[Path]) -> str | None:
    """'<root name>/<path below the root>' for a path under one of `roots` (as given, then with links
    resolved), or None. The root's own name leads so that an index can move with its folder."""
    for root in roots:
        for a, b in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))), (path.resolve(), root.resolve())):
            if a.is_relative_to(b):
                return "/".join([b.name, *a.relative_to(b).parts])
    return None


def outside_roots(paths: list[Path], settings: Settings) -> list[Path]:
    """The paths that lie under no KB root: the CLI refuses them, since a document must have one name."""
    roots = kb_roots(settings)
    return [p for p in paths if _locate(p, roots) is None]


def _namer(settings: Settings) -> Callable[[Path], str]:
    """Folder -> its name in sources. Under a KB root it is named from that root however the ingest was
    invoked (a file, a sub-folder or the root), so a sub-path ingest never adds a second name for a file.
    A folder outside every root (library callers; the CLI refuses those) is its own root."""
    roots = kb_roots(settings)
    cache: dict[Path, str] = {}

    def name_of(folder: Path) -> str:
        if folder not in cache:
            cache[folder] = _locate(folder, roots) or Path(os.path.abspath(folder)).name
        return cache[folder]

    return name_of


def _unreadable(source: str, exc: Exception) -> str:
    """Why a file was skipped when its loader failed in a way it did not foresee (a bug or an odd file)."""
    logger.error("读取 %s 时出错，已跳过", source, exc_info=exc)
    return (
        f"读取时出错（{type(exc).__name__}：{exc}）。请确认文件能用常用软件正常打开，"
        "必要时另存为 .docx / .xlsx / UTF-8 文本后重新编入；若仍出错，请把日志中的错误信息交给维护人员。"
    )


def run_ingest(
    paths: list[Path],
    settings: Settings,
    rebuild: bool = False,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    on_page: Callable[[str], None] | None = None,
) -> Summary:
    """Bring the index in line with the files under `paths`; returns what happened. `progress` wraps the
    list of files; `on_page` hears each page OCR starts on ("扫描件.pdf OCR 第3页（3/12）").

    Only one ingest writes an index at a time (the writer lock; IndexBusyError after KBQA_INGEST_WAIT_S),
    and only into a folder that is empty or holds an index of ours (ConfigError otherwise: --rebuild
    deletes what is in it)."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    foreign = foreign_entries(index_dir)
    if foreign:
        shown = "、".join(foreign[:5]) + ("等" if len(foreign) > 5 else "")
        raise ConfigError(
            f"索引目录 {index_dir} 中有不是索引创建的内容（{shown}），为防误删，拒绝在其中建立或重建索引。"
            "请用 --index-dir（或 KBQA_INDEX_DIR）指定一个空文件夹或已有的索引目录。"
        )
    with writer_lock(settings):
        marker = index_dir / MARKER
        if not marker.exists():
            marker.write_text("经信知识助手的索引目录：python -m ingest --rebuild 只会清空带有此文件的目录。\n", encoding="utf-8")
        # --rebuild reads every file again into a new generation while the live one keeps answering, and
        # only a changed embedding setting (whose old vectors nothing can use) starts from an empty folder
        drop = rebuild and not _embedding_matches(settings)
        if drop:
            _wipe_files(index_dir)  # the collection is dropped when Chroma is opened, below
        summary = _ingest(paths, settings, rebuild, progress, on_page, drop)
    summary.seconds = time.perf_counter() - started
    return summary


def _ingest(
    paths: list[Path],
    settings: Settings,
    rebuild: bool,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None,
    on_page: Callable[[str], None] | None = None,
    drop: bool = False,
) -> Summary:
    """run_ingest's work, under the writer lock. With `rebuild` nothing of the live generation is reused
    (it answers until the new one is published); `drop` also recreates the Chroma collection."""
    index_dir = settings.index_dir
    gen = current_generation(index_dir)
    pipeline = pipeline_signature(settings)
    old = gen if gen and not rebuild else None
    old_chunks = read_chunks(old) if old else []
    old_tokens = _read_tokens(old) if old else []
    if old:
        check_pipeline(read_manifest(old).get("pipeline"), pipeline)
    manifest: dict[str, Any] = read_manifest(old)["files"] if old else {}
    interrupted = (index_dir / _PENDING).exists()

    summary = Summary()
    name_of = _namer(settings)
    walked: list[tuple[Path, str]] = []  # FIFOs, devices, links leaving the root, unreadable folders
    files = list(walk(paths, walked, settings))
    summary.skipped += [{"path": p.as_posix(), "reason": r} for p, r in walked]
    summary.files_skipped += len(walked)
    scanned_roots = {f"{name_of(p)}/" for p in paths if p.is_dir()}
    seen: set[str] = set()
    changed: set[str] = set()
    new_files: dict[str, dict[str, Any]] = {}
    new_chunks: list[Chunk] = []
    for root, file in progress(files) if progress else files:
        source = f"{name_of(root)}/{file.relative_to(root).as_posix()}"
        seen.add(source)
        try:
            data = file.read_bytes()
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
            del data  # a 200 MB corpus file is not held twice while it is loaded
        except OSError:
            digest, size = "", 0  # load() says why it cannot be read
        if digest and manifest.get(source, {}).get("hash") == digest:
            summary.files_read += 1
            continue
        changed.add(source)
        try:
            docs = load(file, source, summary.skipped, settings, on_page=on_page)
            chunks = [c for d in docs for c in chunk_document(d, settings.chunk_chars)]
        except Exception as exc:  # noqa: BLE001 - a loader bug costs one file, never the run and its deletions
            summary.files_skipped += 1
            reason = str(exc) if isinstance(exc, LoadError) else _unreadable(source, exc)
            if source in manifest:  # mid-save, half-copied, briefly locked: the version indexed before stays
                changed.discard(source)
                reason += "（知识库中仍保留该文件上次编入的版本）"
            summary.skipped.append({"path": source, "reason": reason})
            continue
        summary.files_read += 1
        new_chunks.extend(chunks)
        first = docs[0]
        new_files[source] = {
            "hash": digest,
            "title": first.title if len(docs) == 1 else file.name,
            "kind": first.kind,
            "date": first.date if len(docs) == 1 else "",
            "effective": first.effective,
            "policy": policy_fields(first) if len(docs) == 1 else {},  # 文号, dates, repeals: app/status.py
            "documents": len(docs),
            "chunks": len(chunks),
            "bytes": size,  # as read: the file may be gone by now
        }

    unread = tuple(f"{p.as_posix().rstrip('/')}/" for p, r in walked if r.startswith(UNREADABLE_FOLDER))
    gone = {s for s in manifest if s not in seen and any(s.startswith(r) for r in scanned_roots)
            and not s.startswith(unread)}  # a folder that could not be read this time is not deleted
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
    chroma_open = False
    # Chroma is taken to hold exactly the live generation's ids when it holds as many and no run was cut
    # short (every run under the writer lock ends so); otherwise all ids are listed and compared
    # (about 0.4 s per 20k) and what is missing or extra is repaired.
    known: set[str] | None = None if interrupted or rebuild else old_ids
    if not rebuild and gen is not None and not (summary.chunks_added or summary.chunks_removed or files_out != manifest or interrupted):
        check_embedding(settings)  # nothing to write, but a changed embedding setting is still refused
        if open_collection(settings, chroma_client(settings, fresh=True)).count() == len(old_ids):
            chroma_in_step(settings, gen.name)
            return summary
        # vectors and chunks disagree (damage from before the writer lock, or a lost disk write): repair below
        logger.warning("索引 %s 的向量与片段数目不一致，正在修复", index_dir)
        chroma_open, known = True, None
    kept_tokens = [t for _, t in kept]
    name = f"gen-{time.time_ns()}"
    collection, had = _alongside(
        lambda: _fill_chroma(settings, all_chunks, drop, known),
        lambda: _write_generation(index_dir / f"{name}.tmp", all_chunks, kept_tokens, files_out, pipeline),
        big=not chroma_open and sum(len(c.index_text) for c in new_chunks) >= _PARALLEL_MIN_CHARS,
    )
    _publish(index_dir, name)
    chroma_in_step(settings, name)
    _write_atomic(
        index_dir / "embedding.json",
        json.dumps(embedding_signature(embedding_function(settings)), ensure_ascii=False),
    )
    stale = list(had - live_ids)
    for i in range(0, len(stale), 5000):
        collection.delete(ids=stale[i : i + 5000])
    (index_dir / _PENDING).unlink()
    return summary


def _vector_ids(collection: Any) -> set[str]:
    return set(collection.get(include=[])["ids"])


def _fill_chroma(settings: Settings, chunks: list[Chunk], drop: bool, known: set[str] | None) -> tuple[Any, set[str]]:
    """Open (when `drop`: recreate) the collection and upsert a vector for every chunk that lacks one;
    returns it and the ids it held before. Those are `known` when Chroma holds as many, else listed. Ids
    are content hashes, so a vector already stored under an id is the right one, and comparing ids
    repairs vectors lost by an earlier run as well as adding new ones.

    Refuses an embedding setting other than the one that built the index before writing anything. The
    PENDING marker goes down before the first vector does, so the next run knows to check the vectors of
    a generation that never went live."""
    check_embedding(settings)
    client = chroma_client(settings, fresh=True)  # another process may have written since this one last looked
    if drop:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            client.delete_collection(settings.collection)
    collection = open_collection(settings, client)
    (settings.index_dir / _PENDING).write_text("ingest in progress", encoding="utf-8")
    if drop:
        have: set[str] = set()
    elif known is not None and collection.count() == len(known):
        have = known
    else:
        have = _vector_ids(collection)
    _upsert(collection, [c for c in chunks if c.id not in have], settings)
    return collection, have


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


def pipeline_signature(settings: Settings) -> dict[str, str]:
    """The tokenizer, dictionary and chunker that make this run's chunks and tokens."""
    return {**tokenizer_signature(), "chunker": chunker_signature(settings.chunk_chars)}


def check_pipeline(built: dict[str, str] | None, wanted: dict[str, str]) -> None:
    """Refuse to add chunks or tokens of another pipeline to an index: unchanged files keep their stored
    tokens and chunks, so a changed tokenizer, dictionary or chunker would silently mix two in one index.
    An index from before the pipeline was recorded counts as different."""
    if built == wanted:
        return
    names = {"tokenizer": "分词器", "dictionary": "词典", "chunker": "分块方式"}
    changed = [names.get(k, k) for k in wanted if (built or {}).get(k) != wanted[k]] or ["索引格式"]
    raise IndexStateError(
        f"现有索引由另一版本的{'、'.join(changed)}建立（索引中记录：{built or '无'}；当前：{wanted}）。"
        "新旧片段不能混在一个索引里，请运行 python -m ingest --rebuild 重建索引。"
    )


def _write_generation(
    tmp: Path, chunks: list[Chunk], kept_tokens: list[list[str]], files: dict[str, Any], pipeline: dict[str, str]
) -> None:
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
    manifest = {"files": files, "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunks": len(chunks), "pipeline": pipeline}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_atomic(path: Path, text: str) -> None:
    """Replace a file in one rename: a reader opening the index never sees it half written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _publish(index_dir: Path, name: str) -> None:
    """Make the written generation live in one atomic rename of CURRENT. The generation it replaces stays:
    a reader that read CURRENT a moment ago is still opening it; older ones go."""
    previous = current_name(index_dir)
    (index_dir / f"{name}.tmp").rename(index_dir / name)
    _write_atomic(index_dir / "CURRENT", name)
    for old in index_dir.glob("gen-*"):
        if old.name not in {name, previous}:
            shutil.rmtree(old, ignore_errors=True)


def _embedding_matches(settings: Settings) -> bool:
    """Whether the index's vectors were made by the embedding the settings ask for (or there are none)."""
    try:
        check_embedding(settings)
    except IndexStateError:
        return False
    return True


def _wipe_files(index_dir: Path) -> None:
    """--rebuild: drop every generation and state file (the collection goes when Chroma is opened). Only
    ever called on a folder that foreign_entries() found to be ours, under the writer lock."""
    for item in index_dir.iterdir():
        if item.name not in {"chroma", LOCK, MARKER}:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
