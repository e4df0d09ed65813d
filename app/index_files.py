"""The index folder's files: which folder is ours, the one writer's lock, the live generation and what it holds.

Index directory layout (all under `Settings.index_dir`):
    chroma/            Chroma PersistentClient (unused when KBQA_CHROMA_HOST points at a server)
    embedding.json     which embedding function built the vectors; a mismatch asks for --rebuild
    CURRENT            name of the live generation folder, swapped atomically by ingest
    gen-*/             chunks.jsonl, tokens.txt, bm25/, manifest.json of one ingest run (the live one and
                       the one before it, so a reader that read CURRENT just before a publish still finds it)
    LOCK               held (flock) by the one ingest allowed to write; says who holds it
    KBQA_INDEX         marks the folder as ours: --rebuild deletes only inside a folder that has it
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
from pathlib import Path
from typing import Any

from app.errors import IndexStateError
from app.schema import Chunk
from app.settings import Settings

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
