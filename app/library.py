"""Knowledge-base files for the admin page: list, save uploads safely, delete. Re-indexing is ingest's job."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from app.errors import LoadError
from app.settings import Settings
from app.store import Store

ALLOWED = (".txt", ".md", ".docx", ".pdf", ".xlsx", ".csv", ".html", ".htm", ".jsonl", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".xls", ".et", ".pptx", ".doc", ".wps", ".ppt", ".ofd")
FOLDERS = {"文章": "articles", "政策文件": "policies", "指标表": "indicators"}
_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def safe_name(name: str) -> str:
    """A plain file name: no folders, no '..', no control or reserved characters."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    if not base or base in {".", ".."} or Path(base).suffix.lower() not in ALLOWED:
        raise LoadError(f"文件名 {name!r} 不可用：只接受 {'、'.join(ALLOWED)} 类型，且不能包含路径。")
    return base[:120]


def save_upload(
    kb_dir: Path, folder: str, name: str, data: bytes, max_mb: int, settings: Settings | None = None
) -> Path:
    """Write an uploaded file under kb_dir/folder; refuses oversized files, paths that leave kb_dir, and
    files that fail the pre-parse guards ingest runs (size per type, zip bombs, sheet size), so a
    rejected upload is never kept in kb/. The guards read a copy in a temporary folder; the file is
    then written beside its target under a hidden name and renamed, so a half-written file is never
    indexed."""
    from ingest.limits import Limits
    from ingest.load import precheck

    if len(data) > max_mb * 1024 * 1024:
        raise LoadError(f"文件 {name} 大小为 {len(data) / 1024 / 1024:.1f} MB，超过上限 {max_mb} MB。")
    if not data:
        raise LoadError(f"文件 {name} 是空文件。")
    target_dir = (kb_dir / FOLDERS.get(folder, folder)).resolve()
    if not target_dir.is_relative_to(kb_dir.resolve()):
        raise LoadError("上传目录不在知识库文件夹内。")
    base = safe_name(name)
    with tempfile.TemporaryDirectory(prefix="kbqa-upload-") as tmp:
        probe = Path(tmp) / base
        probe.write_bytes(data)
        precheck(probe, Limits.of(settings))
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / base
    part = target_dir / f".{base}.part"
    part.write_bytes(data)
    os.replace(part, path)
    return path


def file_of(kb_dir: Path, source: str) -> Path:
    """The file behind a source such as 'kb/articles/a.md' (the first part is the kb folder's own name)."""
    rel = source.split("#", 1)[0].split("/", 1)[-1]
    path = (kb_dir / rel).resolve()
    if not path.is_relative_to(kb_dir.resolve()):
        raise LoadError(f"{source} 不在知识库文件夹内，不能删除。")
    return path


def delete_document(kb_dir: Path, source: str) -> None:
    path = file_of(kb_dir, source)
    if not path.exists():
        raise LoadError(f"找不到文件 {source}，可能已被删除。")
    path.unlink()


def documents(store: Store) -> list[dict[str, Any]]:
    """One row per indexed file, from the live manifest."""
    from app.present import kind_name
    from app.status import of_store, status_label, validity

    known = of_store(store, store.settings.question_date())  # 状态 as of the day questions are asked on
    rows = []
    for source, info in sorted(store.manifest.get("files", {}).items()):
        rows.append({"文件": source, "标题": info.get("title", ""), "类型": kind_name(info.get("kind", "")),
                     "日期": info.get("date", ""), "片段数": info.get("chunks", 0),
                     "施行/有效期": validity(info), "状态": status_label(known, source)})
    return rows
