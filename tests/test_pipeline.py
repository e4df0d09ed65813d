"""The index records the tokenizer, dictionary and chunker that built it; ingest never mixes two."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from app.errors import IndexStateError
from app.settings import Settings
from app.store import current_generation, read_manifest
from ingest.index import pipeline_signature, run_ingest


def _kb(settings: Settings) -> Path:
    folder = settings.kb_dir / "articles"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("# 园区简报\n\n2025年园区新增规上企业12家。\n", encoding="utf-8")
    return settings.kb_dir


def test_manifest_records_the_pipeline(settings: Settings) -> None:
    run_ingest([_kb(settings)], settings)
    gen = current_generation(settings.index_dir)
    assert gen is not None
    recorded = read_manifest(gen)["pipeline"]
    assert recorded == pipeline_signature(settings)
    assert set(recorded) == {"tokenizer", "dictionary", "chunker"}


def test_another_chunker_size_is_refused_with_a_rebuild_hint(settings: Settings) -> None:
    kb = _kb(settings)
    run_ingest([kb], settings)
    (kb / "articles" / "b.md").write_text("# 新文件\n\n园区2025年工业投资增长9%。\n", encoding="utf-8")
    other = dataclasses.replace(settings, chunk_chars=settings.chunk_chars + 60)
    with pytest.raises(IndexStateError, match=r"分块方式.*--rebuild"):
        run_ingest([kb], other)
    run_ingest([kb], other, rebuild=True)  # the hint works: one pipeline again
    gen = current_generation(settings.index_dir)
    assert gen is not None and read_manifest(gen)["pipeline"] == pipeline_signature(other)


def test_an_index_that_recorded_no_pipeline_is_refused(settings: Settings) -> None:
    """Indexes from before the record existed were built by other tokenizers and chunkers (they changed)."""
    kb = _kb(settings)
    run_ingest([kb], settings)
    gen = current_generation(settings.index_dir)
    assert gen is not None
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    del manifest["pipeline"]  # what an older version wrote
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(IndexStateError, match="--rebuild"):
        run_ingest([kb], settings)


def test_a_changed_file_that_cannot_be_read_keeps_its_indexed_version(settings: Settings) -> None:
    """A file caught mid-save (here: a .docx overwritten with half its bytes) is skipped with a reason, and
    what was indexed from it before still answers; the next good save replaces it."""
    import docx

    from app.answer import Assistant

    folder = settings.kb_dir / "policies"
    folder.mkdir(parents=True)
    path = folder / "园区办法.docx"
    document = docx.Document()
    document.add_paragraph("第一条 园区企业新购研发设备的，按购置额的12%给予补助。")
    document.save(str(path))
    run_ingest([settings.kb_dir], settings)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    summary = run_ingest([settings.kb_dir], settings)
    assert summary.files_skipped == 1 and "保留" in summary.skipped[0]["reason"]
    assert summary.chunks_removed == 0
    answer = Assistant(settings).ask("园区企业新购研发设备按购置额的多少给予补助")
    assert answer.answerable and "12%" in answer.answer
