"""Run `python -m app eval --json` over several question sets and print one table (Markdown).

Each set is NAME INDEX_DIR QUESTIONS; build the index first with `python -m ingest`. `--code DIR` runs the
eval of another checkout (a `git worktree` of an earlier commit, with this round's app/evaluate.py copied
in) so that "before" and "after" rows come from the same metric:

    .venv/bin/python -m bench.eval_all --set "RGB dev" /tmp/rgb ../shared/eval/external/questions_dev.jsonl \
        --set "kb frozen" /tmp/kbidx bench/kb_frozen.jsonl [--code /tmp/kbqa_before] [--save /tmp/reports]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import add_sets

FIGURES = ["answer_accuracy", "lead_accuracy", "baseline_accuracy", "baseline_5x200_accuracy", "unanswerable_refused",
           "wrong_refusals"]


def run_eval(code: Path, index_dir: Path, questions: Path) -> dict[str, Any]:
    """One eval in a child process, so an earlier checkout's code is imported, not this one's."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-m", "app", "eval", str(questions.resolve()), "--index-dir", str(index_dir.resolve()), "--json"],
        cwd=code, env=env, capture_output=True, text=True, encoding="utf-8", check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"eval failed for {questions} on {index_dir}: {out.stderr.strip()}")
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def row(name: str, summary: dict[str, Any], latency: dict[str, Any] | None = None) -> str:
    answer_recall = next((v for key, v in summary.items() if key.startswith("answer_recall@")), None)
    cells = [name, str(summary["n"]), *("—" if summary[f] is None else f"{summary[f]:.3f}" for f in FIGURES)]
    cells.append("—" if answer_recall is None else f"{answer_recall:.3f}")
    cells.append("" if latency is None else f"{latency['p50']} / {latency['p95']}")
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sets(p)
    p.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent,
                   help="checkout whose app/ answers (default: this one)")
    p.add_argument("--by-type", action="store_true", help="one row per question type as well")
    p.add_argument("--save", type=Path, help="folder for each set's full JSON report")
    args = p.parse_args(argv)
    print("| set | n | accuracy | lead accuracy | baseline (200 chars) | baseline (5 × 200 chars) | unanswerable refused "
          "| wrong refusals | answer recall@5 | latency p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, index_dir, questions in args.set:
        report = run_eval(args.code, Path(index_dir), Path(questions))
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{Path(questions).stem}.{Path(index_dir).name}.json").write_text(
                json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(row(name, report["overall"], report["latency_ms"]), flush=True)
        if args.by_type:
            for qtype, summary in report["by_type"].items():
                print(row(f"　{name} · {qtype}", summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
