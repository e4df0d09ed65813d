"""Incremental, crash-safe indexing against a real Chroma (PersistentClient, and HttpClient on `chroma run`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from app.errors import IndexStateError
from app.settings import Settings
from app.store import Store
from app.tokens import tokenize
from ingest.__main__ import main as ingest_main
from ingest.index import run_ingest
from tests.conftest import ROOT, free_port


def bm25_sources(store: Store, phrase: str) -> set[str]:
    return {store.chunks[i].source for i, _ in store.bm25_search(tokenize(phrase), 10)}


def test_second_run_adds_nothing_edit_and_delete(tiny_kb: Path, settings: Settings) -> None:
    first = run_ingest([tiny_kb], settings)
    assert first.files_read == 3 and first.chunks_added > 0 and first.chunks_removed == 0

    again = run_ingest([tiny_kb], settings)
    assert (again.chunks_added, again.chunks_removed, again.chunks_unchanged) == (0, 0, first.chunks_added)

    plan = tiny_kb / "articles/2026年计划.md"
    before = {c.id for c in Store.open(settings).chunks if c.source.endswith("2025年回顾.md")}
    plan.write_text(plan.read_text(encoding="utf-8").replace("推进算力集群建设。", "推进紫藤算力集群建设。"), encoding="utf-8")
    edited = run_ingest([tiny_kb], settings)
    assert edited.chunks_added == 1 and edited.chunks_removed == 1
    store = Store.open(settings)
    assert {c.id for c in store.chunks if c.source.endswith("2025年回顾.md")} == before
    assert bm25_sources(store, "紫藤") == {"kb/articles/2026年计划.md"}

    plan.unlink()
    deleted = run_ingest([tiny_kb], settings)
    assert deleted.chunks_removed > 0 and deleted.chunks_added == 0
    store = Store.open(settings)
    assert bm25_sources(store, "紫藤") == set()
    assert not any(c.source.endswith("2026年计划.md") for c in store.chunks)
    vector_ids = set(store.collection.get(include=[])["ids"])
    assert vector_ids == {c.id for c in store.chunks}


def test_two_roots_share_one_index(tiny_kb: Path, tmp_path: Path, settings: Settings) -> None:
    other = tmp_path / "corpus"
    other.mkdir()
    (other / "review.txt").write_text("发布日期：2026-01-05\n\n去年全市准入项目79个。\n", encoding="utf-8")
    run_ingest([tiny_kb], settings)
    run_ingest([other], settings)
    sources = {c.source for c in Store.open(settings).chunks}
    assert "corpus/review.txt" in sources and "kb/articles/2025年回顾.md" in sources


def test_relative_year_is_indexed_as_absolute(tiny_kb: Path, settings: Settings) -> None:
    run_ingest([tiny_kb], settings)
    store = Store.open(settings)
    hits = [store.chunks[i] for i, _ in store.bm25_search(tokenize("2025年 人工智能 规上营收"), 3)]
    top = next(c for c in hits if c.kind == "article")
    assert top.text.startswith("去年全年") and "2025年全年" in top.index_text and "2025" in top.periods


def test_bad_inputs_are_skipped_and_the_rest_ingested(tmp_path: Path, settings: Settings, capsys, monkeypatch) -> None:
    kb = tmp_path / "bad"
    kb.mkdir()
    monkeypatch.setenv("KBQA_KB_DIR", str(kb))
    (kb / "good.md").write_text("# 好文件\n\n全年新开工项目356项。\n", encoding="utf-8")
    (kb / "empty.txt").write_bytes(b"")
    (kb / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (kb / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    (kb / "bad.docx").write_bytes(b"not a zip")
    (kb / "bad.xlsx").write_bytes(b"not a zip")
    (kb / "notes.xyz").write_bytes(b"hello")
    (kb / "gone.txt").symlink_to(kb / "missing.txt")
    code = ingest_main([str(kb), "--index-dir", str(settings.index_dir), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    assert summary["files_read"] == 1 and summary["files_skipped"] == 7
    reasons = {s["path"].split("/")[-1]: s["reason"] for s in summary["skipped"]}
    assert "文件为空" in reasons["empty.txt"] and "二进制" in reasons["binary.txt"]
    assert "PDF" in reasons["bad.pdf"] and "Word" in reasons["bad.docx"] and "Excel" in reasons["bad.xlsx"]
    assert "不支持的文件类型" in reasons["notes.xyz"] and "无法读取" in reasons["gone.txt"]
    assert set(summary) == {
        "files_read", "files_skipped", "skipped", "chunks_added", "chunks_removed", "chunks_unchanged", "seconds"
    }


def test_cli_exit_codes(tiny_kb: Path, settings: Settings, capsys, monkeypatch) -> None:
    monkeypatch.setenv("KBQA_KB_DIR", str(tiny_kb))
    assert ingest_main([str(tiny_kb), "--index-dir", str(settings.index_dir)]) == 0
    assert "读取文件 3 个" in capsys.readouterr().out
    assert ingest_main([str(tiny_kb / "nope"), "--index-dir", str(settings.index_dir)]) == 2
    assert "找不到路径" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        ingest_main(["--no-such-flag"])
    assert exc.value.code == 2


def test_rebuild_and_embedding_mismatch(tiny_kb: Path, settings: Settings) -> None:
    run_ingest([tiny_kb], settings)
    live = {c.id for c in Store.open(settings).chunks}
    other = replace(settings, embed_dim=128)
    with pytest.raises(IndexStateError, match="--rebuild"):
        Store.open(other)
    with pytest.raises(IndexStateError, match="--rebuild"):  # nothing to write, still told
        run_ingest([tiny_kb], other)
    (tiny_kb / "articles/新增.md").write_text("# 新增\n\n紫藤湾产业园开工。\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match="--rebuild"):  # something to write: refused before any vector
        run_ingest([tiny_kb], other)
    store = Store.open(settings)  # the index as it was: same chunks, same vectors, nothing pending
    assert {c.id for c in store.chunks} == live == set(store.collection.get(include=[])["ids"])
    assert not (settings.index_dir / "PENDING").exists()
    rebuilt = run_ingest([tiny_kb], other, rebuild=True)
    assert rebuilt.chunks_removed == 0 and rebuilt.chunks_added > 0
    assert len(Store.open(other).chunks) == rebuilt.chunks_added


def test_kill_during_ingest_leaves_previous_index_usable(tiny_kb: Path, tmp_path: Path, settings: Settings) -> None:
    run_ingest([tiny_kb], settings)
    good = {c.id for c in Store.open(settings).chunks}
    big = tiny_kb / "articles" / "big.jsonl"
    rows = ({"id": str(i), "text": f"第{i}号文档：某企业{i}年产值{i}.5亿元，增长{i % 30}%。" * 4} for i in range(40000))
    big.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KBQA_KB_DIR": str(tiny_kb)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(tiny_kb), "--index-dir", str(settings.index_dir)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while not (settings.index_dir / "PENDING").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store.open(settings)
    assert {c.id for c in store.chunks} == good
    assert store.bm25_search(tokenize("人工智能 规上营收"), 3)
    big.unlink()
    after = run_ingest([tiny_kb], settings)
    assert after.chunks_added == 0
    store = Store.open(settings)
    assert set(store.collection.get(include=[])["ids"]) == good


@pytest.mark.network
def test_http_client_against_chroma_run(tiny_kb: Path, tmp_path: Path) -> None:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        settings = Settings(index_dir=tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port)
        deadline = time.time() + 30
        while True:
            try:
                summary = run_ingest([tiny_kb], settings)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        store = Store.open(settings)
        assert summary.chunks_added == len(store.chunks) > 0
        assert not (tmp_path / "index" / "chroma").exists()
        top = store.vector_search("人工智能产业规上营收", 1)
        assert top and store.chunks[top[0][0]].source.startswith("kb/")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_big_input_is_written_by_the_forked_writer(tmp_path: Path, settings: Settings) -> None:
    """Past 300k characters a forked child tokenizes and writes the BM25 files while Chroma is filled:
    the result must be the same index the small-input path builds, then edit one line incrementally."""
    corpus = tmp_path / "news.jsonl"
    towns = ["当湖街道", "钟埭街道", "新埭镇", "乍浦镇", "独山港镇"]
    rows = [
        {"id": f"n{i}", "title": "", "text": f"{towns[i % 5]}第{i}号项目2025年完成投资{i % 97 + 1}.5亿元，同比增长{i % 13}%，"
         f"带动就业{i % 50 + 10}人。该项目由市经信局跟踪服务，列入年度重点工业投资计划，按月通报进度。"}
        for i in range(4000)
    ]
    rows[1234]["text"] = "紫藤湾智能装备产业园完成规上营收88.8亿元。"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert corpus.stat().st_size > 300_000 * 2  # past the fork threshold (counted in characters)

    summary = run_ingest([corpus], settings)
    assert summary.chunks_added == 4000
    store = Store.open(settings)
    gen = store.settings.index_dir / (store.settings.index_dir / "CURRENT").read_text(encoding="utf-8")
    lines = (gen / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ") for line in lines] == [tokenize(c.index_text) for c in store.chunks]
    assert {s.split("/")[-1] for s in bm25_sources(store, "紫藤湾")} == {"news.jsonl#n1234"}
    assert set(store.collection.get(include=[])["ids"]) == {c.id for c in store.chunks}

    rows[1234]["text"] = "紫藤湾智能装备产业园完成规上营收99.9亿元。"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    again = run_ingest([corpus], settings)
    assert (again.chunks_added, again.chunks_removed, again.chunks_unchanged) == (1, 1, 3999)
    store = Store.open(settings)
    hit = store.chunks[store.bm25_search(tokenize("紫藤湾 营收"), 1)[0][0]]
    assert "99.9亿元" in hit.text
