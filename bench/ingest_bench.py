"""Ingest throughput: MB/s, chunks/s and peak RSS, medians over repeats, each run a fresh index.

    .venv/bin/python bench/ingest_bench.py --corpus ../shared/eval/external/corpus.jsonl --synthetic 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.common import median, run_child, write_synthetic_jsonl


def bench(path: Path, repeats: int) -> dict[str, float]:
    size_mb = path.stat().st_size / 1e6
    seconds, chunks, rss = [], [], []
    for _ in range(repeats):
        index = Path(tempfile.mkdtemp(prefix="kbqa-bench-"))
        try:
            out, peak = run_child(["-m", "ingest", str(path), "--index-dir", str(index), "--json"])
        finally:
            shutil.rmtree(index, ignore_errors=True)
        summary = json.loads(out)
        seconds.append(summary["seconds"])
        chunks.append(summary["chunks_added"])
        rss.append(peak)
    s = median(seconds)
    return {"MB": size_mb, "chunks": median(chunks), "seconds": s, "MB_per_s": size_mb / s,
            "chunks_per_s": median(chunks) / s, "peak_rss_MB": median(rss)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", type=Path, action="append", default=[], help="a file or folder to ingest (repeatable)")
    p.add_argument("--synthetic", type=int, default=0, help="also ingest a generated corpus of N one-chunk documents")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    targets = list(args.corpus)
    tmp = Path(tempfile.mkdtemp(prefix="kbqa-syn-"))
    if args.synthetic:
        targets.append(write_synthetic_jsonl(tmp / f"synthetic_{args.synthetic}.jsonl", args.synthetic))
    print(f"{'corpus':40} {'MB':>7} {'chunks':>8} {'s (median)':>11} {'MB/s':>7} {'chunks/s':>9} {'peak RSS MB':>12}")
    for target in targets:
        r = bench(target, args.repeats)
        print(f"{target.name[:40]:40} {r['MB']:7.2f} {r['chunks']:8.0f} {r['seconds']:11.2f} {r['MB_per_s']:7.2f} "
              f"{r['chunks_per_s']:9.0f} {r['peak_rss_MB']:12.0f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
