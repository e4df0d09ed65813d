"""Resource bombs are refused before parsing: each is skipped with a Chinese reason, and the process
that loads them all stays under 1 GB peak RSS (measured on a child process, RUSAGE_CHILDREN)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

from app.settings import Settings
from ingest.load import walk
from tests.conftest import ROOT, write_docx, write_xlsx

_MB = 1024 * 1024


def _rezip(src: Path, dst: Path, replace: dict[str, bytes | int]) -> Path:
    """Copy an Office file, replacing members: bytes as given, an int n as n MB of one repeated letter."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for name in names + [n for n in replace if n not in names]:
            new = replace.get(name)
            if isinstance(new, int):
                with zout.open(name, "w") as fh:
                    fh.write(b"<sst><si><t>")
                    for _ in range(new):
                        fh.write(b"a" * _MB)
                    fh.write(b"</t></si></sst>")
            else:
                zout.writestr(name, new if new is not None else zin.read(name))
    return dst


def _bombs(tmp_path: Path) -> dict[str, Path]:
    import openpyxl

    good_xlsx = write_xlsx(tmp_path / "正常.xlsx")
    good_docx = write_docx(tmp_path / "正常.docx", [("Normal", "正文。")])
    book = openpyxl.Workbook()
    book.active["XFD1048576"] = 1  # one cell at the sheet's far corner: the grid would be 17 billion cells
    book.save(tmp_path / "far.xlsx")
    with zipfile.ZipFile(good_xlsx) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    merged = sheet.replace("</mergeCells>", '<mergeCell ref="D1:XFD1048576"/></mergeCells>')  # one merge over the sheet
    assert merged != sheet
    dev_zero = tmp_path / "零.txt"
    dev_zero.symlink_to("/dev/zero")
    fifo = tmp_path / "管道.txt"
    os.mkfifo(fifo)
    return {
        "far": tmp_path / "far.xlsx",
        "merge": _rezip(good_xlsx, tmp_path / "merge.xlsx", {"xl/worksheets/sheet1.xml": merged.encode("utf-8")}),
        "shared": _rezip(good_xlsx, tmp_path / "shared.xlsx", {"xl/sharedStrings.xml": 150}),
        "docx": _rezip(good_docx, tmp_path / "bomb.docx", {"word/document.xml": 150}),
        "zero": dev_zero,
        "fifo": fifo,
    }


_CHILD = """
import json, sys
from pathlib import Path
from app.errors import LoadError
from ingest.load import load
out = {}
for key, path in json.loads(sys.argv[1]).items():
    try:
        load(Path(path), "kb/" + Path(path).name)
        out[key] = "loaded"
    except LoadError as exc:
        out[key] = str(exc)
print(json.dumps(out, ensure_ascii=False))
"""


def test_each_bomb_skipped_under_1gb(tmp_path: Path) -> None:
    bombs = _bombs(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps({k: str(v) for k, v in bombs.items()})],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reasons = json.loads(done.stdout)
    assert "使用范围达 1048576 行 × 16384 列" in reasons["far"]
    assert "KBQA_MAX_CELLS" in reasons["merge"]
    assert "解压后有 150 MB" in reasons["shared"] and "KBQA_MAX_UNZIPPED_MB" in reasons["shared"]
    assert "超过上限 100 MB" in reasons["docx"]
    assert "不是普通文件（设备文件）" in reasons["zero"]
    assert "不是普通文件（命名管道）" in reasons["fifo"]
    assert peak_kb < 1024 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"  # ru_maxrss is in KiB on Linux


def test_cell_cap_is_a_setting(tmp_path: Path) -> None:
    import openpyxl

    from app.errors import LoadError
    from ingest.load import load

    book = openpyxl.Workbook()
    for r in range(1, 61):
        book.active.append([f"项目{r}"] + [r * c for c in range(1, 30)])
    path = tmp_path / "大表.xlsx"
    book.save(path)
    assert load(path, "kb/大表.xlsx")  # 60 x 30 = 1800 cells: within the default
    try:
        load(path, "kb/大表.xlsx", settings=Settings(max_cells=1000))
    except LoadError as exc:
        assert "超过 1000 个单元格的上限" in str(exc)
    else:
        raise AssertionError("a sheet over KBQA_MAX_CELLS was loaded")


def test_walk_reports_fifo_device_and_outside_links(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "好.md").write_text("# 好\n\n正文。\n", encoding="utf-8")
    os.mkfifo(kb / "articles" / "管道.txt")
    (kb / "articles" / "零.txt").symlink_to("/dev/zero")
    outside = tmp_path / "外部.txt"
    outside.write_text("知识库之外的文件。", encoding="utf-8")
    (kb / "articles" / "链接.txt").symlink_to(outside)
    problems: list[tuple[Path, str]] = []
    files = [f.name for _, f in walk([kb], problems)]
    assert files == ["好.md"]
    found = {p.as_posix(): r for p, r in problems}
    assert "命名管道" in found["kb/articles/管道.txt"]
    assert "指向知识库文件夹之外" in found["kb/articles/零.txt"]
    assert "指向知识库文件夹之外" in found["kb/articles/链接.txt"]


def _slow_parse(pid_file: str) -> None:
    """Stands in for a parser that takes long (a many-page OCR): says its pid, then works."""
    Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    import time

    time.sleep(60)


def _ingest_that_forks_a_parse(pid_file: str) -> None:
    from ingest.limits import Limits, in_child

    in_child(_slow_parse, pid_file, name="慢文件.pdf", limits=Limits.of(Settings()))


def test_a_parse_child_dies_with_the_ingest_that_forked_it(tmp_path: Path) -> None:
    """kill -9 of an ingest must not leave its parse child running: the child shares the ingest's files,
    the writer lock among them, and only the parent would have stopped it."""
    import multiprocessing
    import signal
    import time

    pid_file = tmp_path / "child.pid"
    ingest = multiprocessing.get_context("fork").Process(target=_ingest_that_forks_a_parse, args=(str(pid_file),))
    ingest.start()
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the parse child never started"
        time.sleep(0.05)
    child = int(pid_file.read_text(encoding="utf-8"))
    assert ingest.pid is not None
    os.kill(ingest.pid, signal.SIGKILL)
    ingest.join()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and "Z" not in _state(child):
        assert time.monotonic() < deadline, "the parse child outlived the ingest"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").split(") ", 1)[1][:1]
    except (OSError, IndexError):
        return "Z"
