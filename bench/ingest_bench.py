"""Ingest throughput: MB/s, chunks/s and peak RSS, medians over repeats, each run a fresh index.

    .venv/bin/python -m bench.ingest_bench --corpus ../shared/eval/external/corpus.jsonl --synthetic 100000

"ingest s" is the summary's own figure (files to a live index); "command s" is the whole command, with
the interpreter's start. Medians over --repeats.
`--compare-with DIR` also runs another checkout of this project (say `git worktree add /tmp/old <rev>`)
on the same files in the same run, interleaved with ours, and prints the time ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, median, run_child, write_synthetic_jsonl


def once(path: Path, checkout: Path) -> tuple[dict[str, float], float]:
    """One fresh ingest: its summary (with `wall`, the whole command's seconds incl. interpreter start)
    and its peak RSS."""
    index = Path(tempfile.mkdtemp(prefix="kbqa-bench-"))
    try:
        started = time.perf_counter()
        out, peak = run_child(["-m", "ingest", str(path.resolve()), "--index-dir", str(index), "--json"], cwd=checkout)
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(index, ignore_errors=True)
    return {**json.loads(out), "wall": wall}, peak


def summarize(path: Path, runs: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    size_mb = path.stat().st_size / 1e6
    s = median([r["seconds"] for r, _ in runs])
    wall = median([r["wall"] for r, _ in runs])
    chunks = median([r["chunks_added"] for r, _ in runs])
    return {"MB": size_mb, "chunks": chunks, "seconds": s, "MB_per_s": size_mb / s, "chunks_per_s": chunks / s,
            "wall": wall, "wall_MB_per_s": size_mb / wall, "peak_rss_MB": median([peak for _, peak in runs])}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", type=Path, action="append", default=[], help="a file or folder to ingest (repeatable)")
    p.add_argument("--synthetic", type=int, default=0, help="also ingest a generated corpus of N one-chunk documents")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--compare-with", type=Path, help="another checkout of this project to run on the same files")
    args = p.parse_args()
    targets = list(args.corpus)
    tmp = Path(tempfile.mkdtemp(prefix="kbqa-syn-"))
    if args.synthetic:
        targets.append(write_synthetic_jsonl(tmp / f"synthetic_{args.synthetic}.jsonl", args.synthetic))
    checkouts = [("ours", ROOT)] + ([("compared", args.compare_with.resolve())] if args.compare_with else [])
    print(f"{'corpus':24} {'code':9} {'MB':>6} {'chunks':>7} {'ingest s':>9} {'MB/s':>6} {'chunks/s':>9} "
          f"{'command s':>10} {'MB/s':>6} {'peak RSS MB':>12} {'time vs ours':>13}")
    for target in targets:
        runs: dict[str, list[tuple[dict[str, float], float]]] = {name: [] for name, _ in checkouts}
        for _ in range(args.repeats):  # interleaved, so both see the same machine
            for name, checkout in checkouts:
                runs[name].append(once(target, checkout))
        ours = summarize(target, runs["ours"])
        for name, _ in checkouts:
            r = summarize(target, runs[name])
            print(f"{target.name[:24]:24} {name:9} {r['MB']:6.2f} {r['chunks']:7.0f} {r['seconds']:9.2f} {r['MB_per_s']:6.2f} "
                  f"{r['chunks_per_s']:9.0f} {r['wall']:10.2f} {r['wall_MB_per_s']:6.2f} {r['peak_rss_MB']:12.0f} "
                  f"{r['seconds'] / ours['seconds']:12.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
