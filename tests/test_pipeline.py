"""The index records the tokenizer, dictionary and chunker that built it; ingest never mixes two."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from app.errors import IndexStateError
from app.index_files import current_generation, read_manifest
from app.settings import Settings
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


def test_rebuild_keeps_the_live_index_answering_until_the_new_one_is_published(tmp_path: Path) -> None:
    """--rebuild used to delete CURRENT and the generations before reading a single file: a reader during the
    rebuild (or after a rebuild that failed) found no index at all."""
    import os
    import subprocess
    import sys
    import time

    from app.answer import Assistant
    from tests.conftest import ROOT

    kb = tmp_path / "kb"
    kb.mkdir()
    rows = [{"id": f"d{i}", "title": f"园区简报{i}", "text": f"第{i}号园区2025年新增规上企业{i % 40 + 1}家，工业投资增长{i % 9 + 1}%。" * 3}
            for i in range(3000)]
    (kb / "园区.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", kb_dir=kb)
    run_ingest([kb], settings)
    env = {**os.environ, "KBQA_KB_DIR": str(kb), "KBQA_INDEX_DIR": str(settings.index_dir)}
    rebuild = subprocess.Popen([sys.executable, "-m", "ingest", "--rebuild", "--json"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    opened = 0
    while rebuild.poll() is None:
        answer = Assistant(settings).ask("第7号园区2025年新增规上企业多少家")  # raises if there is no index
        assert answer.answerable and "8家" in answer.answer
        opened += 1
        time.sleep(0.05)
    assert rebuild.returncode == 0, rebuild.stderr.read() if rebuild.stderr else ""
    assert opened >= 1
    assert Assistant(settings).ask("第7号园区2025年新增规上企业多少家").answerable
