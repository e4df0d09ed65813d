"""python -m ingest: one name per document however it is invoked, paths outside the KB, --rebuild safety, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import Store
from app.tokens import tokenize
from ingest.__main__ import main as ingest_main
from ingest.index import run_ingest


@pytest.fixture
def kb(tiny_kb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny KB, configured as the KB root the CLI accepts paths under."""
    monkeypatch.setenv("KBQA_KB_DIR", str(tiny_kb))
    (tiny_kb / "policies").mkdir()
    (tiny_kb / "policies" / "资金办法.md").write_text(
        "# 资金管理办法\n\n发布日期：2026-01-15\n\n第三条 单个项目补助不超过青梧标准500万元。\n", encoding="utf-8"
    )
    return tiny_kb


def _sources(settings: Settings) -> set[str]:
    store = Store.open(settings)
    return {c.source.split("#", 1)[0] for c in store.chunks} | set(store.manifest["files"])


def _consistent(settings: Settings) -> Store:
    store = Store.open(settings)
    assert set(store.collection.get(include=[])["ids"]) == {c.id for c in store.chunks}
    return store


def test_file_and_subfolder_ingests_use_the_root_name_and_deletion_removes_it(kb: Path, settings: Settings) -> None:
    index = ["--index-dir", str(settings.index_dir)]
    article = kb / "articles" / "2026年计划.md"
    assert ingest_main([str(article), *index]) == 0  # as the README shows: one file first
    assert _sources(settings) == {"kb/articles/2026年计划.md"}
    assert ingest_main([str(kb / "articles"), *index]) == 0
    assert ingest_main([*index]) == 0  # the whole KB (the default path)
    names = _sources(settings)
    assert "kb/articles/2026年计划.md" in names and "kb/policies/资金办法.md" in names
    assert all(n.startswith("kb/") for n in names), names  # no second name such as articles/2026年计划.md

    article.unlink()
    assert ingest_main([*index]) == 0
    store = _consistent(settings)
    assert not any("2026年计划" in s for s in _sources(settings))
    assert not any("算力集群建设" in store.chunks[i].text for i, _ in store.bm25_search(tokenize("算力集群建设"), 20))


def test_subfolder_ingest_deletes_only_inside_that_subfolder(kb: Path, settings: Settings) -> None:
    index = ["--index-dir", str(settings.index_dir)]
    assert ingest_main(index) == 0
    (kb / "policies" / "资金办法.md").unlink()
    (kb / "articles" / "2026年计划.md").unlink()
    assert ingest_main([str(kb / "articles"), *index]) == 0
    names = _sources(settings)
    assert "kb/policies/资金办法.md" in names and "kb/articles/2026年计划.md" not in names
    assert ingest_main(index) == 0
    assert "kb/policies/资金办法.md" not in _sources(settings)
    _consistent(settings)


def test_path_outside_the_kb_is_refused(kb: Path, tmp_path: Path, settings: Settings, capsys) -> None:
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    (elsewhere / "a.md").write_text("# 别处\n\n全年开工项目12个。\n", encoding="utf-8")
    assert ingest_main([str(elsewhere / "a.md"), "--index-dir", str(settings.index_dir)]) == 2
    err = capsys.readouterr().err
    assert "不在知识库文件夹" in err and str(kb) in err and "KBQA_KB_DIR" in err
    assert not (settings.index_dir / "CURRENT").exists()


def test_rebuild_refuses_a_folder_that_is_not_an_index(kb: Path, tmp_path: Path, capsys) -> None:
    wrong = tmp_path / "资料"
    shutil.copytree(kb, wrong)
    before = sorted(p.relative_to(wrong) for p in wrong.rglob("*"))
    assert ingest_main(["--index-dir", str(wrong), "--rebuild"]) == 2
    err = capsys.readouterr().err
    assert "不是索引创建的内容" in err and "--index-dir" in err
    assert sorted(p.relative_to(wrong) for p in wrong.rglob("*")) == before  # nothing deleted, nothing added
    assert ingest_main(["--index-dir", str(wrong)]) == 2  # nor written into


def test_rebuild_accepts_an_index_made_before_the_marker(kb: Path, settings: Settings) -> None:
    run_ingest([kb], settings)
    (settings.index_dir / "KBQA_INDEX").unlink()  # as an index built by the previous release looks
    assert ingest_main(["--index-dir", str(settings.index_dir), "--rebuild"]) == 0
    assert (settings.index_dir / "KBQA_INDEX").exists()
    _consistent(settings)


def test_a_crash_exits_4_with_a_chinese_message(kb: Path, settings: Settings, capsys) -> None:
    run_ingest([kb], settings)
    gen = settings.index_dir / (settings.index_dir / "CURRENT").read_text(encoding="utf-8")
    (gen / "chunks.jsonl").write_text("{不是 JSON\n", encoding="utf-8")  # a damaged index: not a usage error
    assert ingest_main(["--index-dir", str(settings.index_dir)]) == 4
    err = capsys.readouterr().err
    assert "建索引异常中止" in err and "JSONDecodeError" in err and "维护人员" in err


def test_skipped_files_exit_1_and_the_rest_is_indexed(kb: Path, settings: Settings, capsys) -> None:
    (kb / "articles" / "坏.docx").write_bytes(b"not a zip")
    assert ingest_main(["--index-dir", str(settings.index_dir), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert [s["path"] for s in summary["skipped"]] == ["kb/articles/坏.docx"] and summary["files_read"] == 4
