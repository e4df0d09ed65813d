"""Two ingests at once, and readers during a publish: real processes on a tiny KB, real Chroma and BM25."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from app.answer import Assistant
from app.index_files import writer_lock
from app.settings import Settings
from app.store import Store
from tests.conftest import ROOT

FACTS = {
    "articles/园区.md": ("# 园区快报\n\n发布日期：2026-01-08\n\n2025年青梧园区完成工业投资41.6亿元。\n", "2025年青梧园区工业投资是多少", "41.6亿元"),
    "articles/企业.md": ("# 企业培育\n\n发布日期：2026-01-09\n\n2025年全市新增专精特新企业23家。\n", "2025年新增专精特新企业多少家", "23家"),
    "policies/资金.md": ("# 扶持资金通知\n\n发布日期：2026-01-12\n\n第一条 2025年共兑付技改补助资金3.8亿元。\n", "2025年兑付技改补助资金多少", "3.8亿元"),
}


def _write(kb: Path, rel: str, text: str) -> None:
    path = kb / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _ingest(kb: Path, index: Path, wait_s: str = "120") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KBQA_KB_DIR": str(kb), "KBQA_INGEST_WAIT_S": wait_s}
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(kb), "--index-dir", str(index), "--json"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _consistent(settings: Settings) -> Store:
    """The index answers from one generation whose chunk ids are exactly the vectors Chroma holds."""
    store = Store.open(settings)
    bm25_ids = {c.id for c in store.chunks}
    assert store.bm25 is not None and len(bm25_ids) == len(store.chunks) > 0
    assert set(store.collection.get(include=[])["ids"]) == bm25_ids
    return store


def test_two_ingests_started_together_leave_one_consistent_index(tmp_path: Path) -> None:
    kb, index = tmp_path / "kb", tmp_path / "index"
    settings = Settings(index_dir=index, kb_dir=kb)
    for rel, (text, _, _) in FACTS.items():
        _write(kb, rel, text)
    edits = [
        lambda: None,  # trial 1: both build a fresh index
        lambda: _write(kb, "articles/新增.md", "# 新增\n\n发布日期：2026-01-20\n\n2025年紫荆湾新建5G基站310个。\n"),
        lambda: (kb / "articles/新增.md").unlink(),  # trial 3: a deletion, applied once
    ]
    for trial, edit in enumerate(edits, start=1):
        edit()
        procs = [_ingest(kb, index), _ingest(kb, index)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        codes = [code for code, _, _ in results]
        assert set(codes) <= {0, 3} and 0 in codes, (trial, results)
        for code, out, err in results:
            if code == 3:
                assert "正在被" in err and "KBQA_INGEST_WAIT_S" in err, err
            else:
                assert json.loads(out)["files_skipped"] == 0
        store = _consistent(settings)
        assistant = Assistant(settings, store)
        for _, question, figure in FACTS.values():
            assert figure in assistant.ask(question).answer, (trial, question)
        has_new = any("紫荆湾" in c.text for c in store.chunks)
        assert has_new == (trial == 2), trial
        kept = {p.name for p in index.glob("gen-*")}  # the live generation and at most the one before it
        assert store.generation in kept and len(kept) <= 2, kept


def test_second_ingest_exits_3_naming_the_holder(tmp_path: Path) -> None:
    kb, index = tmp_path / "kb", tmp_path / "index"
    rel, (text, _, _) = next(iter(FACTS.items()))
    _write(kb, rel, text)
    settings = Settings(index_dir=index, kb_dir=kb)
    with writer_lock(settings, command="测试持有的写锁"):
        proc = _ingest(kb, index, wait_s="0.5")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, (out, err)
    assert "测试持有的写锁" in err and f"进程 {os.getpid()}" in err and "KBQA_INGEST_WAIT_S" in err
    assert not (index / "CURRENT").exists()  # it waited and left; nothing half-written
    assert _ingest(kb, index).wait(timeout=300) == 0  # the lock is free once its holder lets go


def test_readers_opening_during_publishes_never_fail(tmp_path: Path) -> None:
    """Readers keep opening the index while another process publishes generation after generation."""
    kb, index = tmp_path / "kb", tmp_path / "index"
    for rel, (text, _, _) in FACTS.items():
        _write(kb, rel, text)
    settings = Settings(index_dir=index, kb_dir=kb)
    assert _ingest(kb, index).wait(timeout=300) == 0
    script = (
        "import sys\nfrom pathlib import Path\nfrom app.settings import Settings\nfrom ingest.index import run_ingest\n"
        "kb, index = Path(sys.argv[1]), Path(sys.argv[2])\nsettings = Settings(index_dir=index, kb_dir=kb)\n"
        "for i in range(12):\n"
        "    (kb / 'articles' / '滚动.md').write_text(f'# 滚动\\n\\n第{i}期：青梧园区新签约项目{i + 3}个。\\n', encoding='utf-8')\n"
        "    run_ingest([kb], settings)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(kb), str(index)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    failures: list[str] = []
    opened = 0
    generations: set[str] = set()

    def read() -> None:
        nonlocal opened
        while writer.poll() is None:
            try:
                store = Store.open(settings)
                assert store.chunks and store.bm25 is not None
                generations.add(store.generation)
            except Exception as exc:  # noqa: BLE001 - any failure to open is what this test counts
                failures.append(f"{type(exc).__name__}: {exc}")
            opened += 1

    reader = threading.Thread(target=read)
    reader.start()
    assert writer.wait(timeout=300) == 0
    reader.join()
    assert not failures, (len(failures), opened, failures[:3])
    assert opened > 20 and len(generations) > 3, (opened, len(generations))
    _consistent(settings)


def test_a_running_assistant_sees_another_process_ingest_on_its_next_question(tmp_path: Path) -> None:
    """The UI's Assistant lives as long as the server: a CLI ingest must reach it without a restart, and
    its Chroma view must follow (a stale local view fails on new ids and keeps answering deleted ones)."""
    kb, index = tmp_path / "kb", tmp_path / "index"
    for rel, (text, _, _) in FACTS.items():
        _write(kb, rel, text)
    settings = Settings(index_dir=index, kb_dir=kb)
    assert _ingest(kb, index).wait(timeout=300) == 0
    assistant = Assistant(settings)
    assert "41.6亿元" in assistant.ask("2025年青梧园区工业投资是多少").answer
    assert assistant.reload(if_changed=True) is False  # nothing new: the open index is kept

    _write(kb, "articles/园区.md", "# 园区快报\n\n发布日期：2026-02-08\n\n2025年青梧园区完成工业投资47.2亿元。\n")
    _write(kb, "articles/新增.md", "# 新增\n\n发布日期：2026-01-20\n\n2025年紫荆湾新建5G基站310个。\n")
    assert _ingest(kb, index).wait(timeout=300) == 0
    assert assistant.reload(if_changed=True) is True
    assert "47.2亿元" in assistant.ask("2025年青梧园区工业投资是多少").answer
    assert "310个" in assistant.ask("2025年紫荆湾新建5G基站多少个").answer
    store = assistant.store
    assert set(store.collection.get(include=[])["ids"]) == {c.id for c in store.chunks}


def test_the_next_ingest_repairs_vectors_lost_by_an_earlier_overlap(tmp_path: Path) -> None:
    """What two unlocked ingests used to leave: live chunks without vectors. A run with no file changes
    must notice and re-embed them, and drop vectors no live chunk has."""
    from ingest.index import run_ingest

    kb, index = tmp_path / "kb", tmp_path / "index"
    for rel, (text, _, _) in FACTS.items():
        _write(kb, rel, text)
    settings = Settings(index_dir=index, kb_dir=kb)
    run_ingest([kb], settings)
    store = _consistent(settings)
    lost = [c.id for c in store.chunks[:2]]
    store.collection.delete(ids=lost)
    assert len(store.collection.get(include=[])["ids"]) == len(store.chunks) - 2

    again = run_ingest([kb], settings)
    assert (again.chunks_added, again.chunks_removed) == (0, 0)
    store = _consistent(settings)
    assert set(lost) <= set(store.collection.get(ids=lost, include=[])["ids"])
