"""Helpers shared by the bench scripts: medians, child-process peak RSS, synthetic bureau-style corpora."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_INDUSTRIES = ["人工智能", "数控机床", "绿色石化", "新能源汽车", "智能终端", "集成电路", "生物医药", "新材料", "光伏", "服装箱包"]
_TOWNS = ["当湖街道", "钟埭街道", "曹桥街道", "新埭镇", "新仓镇", "独山港镇", "林埭镇", "广陈镇", "乍浦镇"]
_METRICS = [("规上营收", "亿元"), ("工业产值", "亿元"), ("固定资产投资", "亿元"), ("新增企业", "家"), ("供地", "亩")]



def add_sets(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """The `--set NAME INDEX_DIR QUESTIONS` option every evaluation script takes (repeatable, at least one):
    a question set and the index built for it, as docs/evaluation.md's commands pass them."""
    parser.add_argument("--set", nargs=3, action="append", required=True, metavar=("NAME", "INDEX_DIR", "QUESTIONS"),
                        help=help)

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def run_child(args: list[str], cwd: Path = ROOT) -> tuple[str, float]:
    """Run a python child in `cwd` (another checkout to compare with); return its stdout and the peak RSS
    in MB of that child alone (its largest process: wait4 reports it with its own waited-for children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode not in (0, 1):  # ingest exits 1 when it skipped a file
            raise RuntimeError(f"{args} failed: {err.read().decode('utf-8', 'replace')[-2000:]}")
        return out.read().decode("utf-8"), usage.ru_maxrss / 1024


def synthetic_sentence(rng: random.Random, i: int) -> str:
    industry, town = rng.choice(_INDUSTRIES), rng.choice(_TOWNS)
    metric, unit = rng.choice(_METRICS)
    year = rng.choice([2022, 2023, 2024, 2025])
    value = round(rng.uniform(1, 900), 2)
    return f"{year}年，{town}{industry}产业{metric}{value}{unit}，同比增长{rng.uniform(-5, 40):.1f}%，编号{i}。"


def write_synthetic_jsonl(path: Path, n_docs: int, seed: int = 7) -> Path:
    """n_docs documents of ~3 sentences (~150 characters): about one chunk each."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_docs):
            text = "".join(synthetic_sentence(rng, i * 3 + k) for k in range(3))
            f.write(json.dumps({"id": f"syn{i}", "title": "", "text": text}, ensure_ascii=False) + "\n")
    return path


def synthetic_questions(n: int, seed: int = 3) -> list[str]:
    """Questions in the shape of the synthetic corpus's sentences ('2024年新埭镇光伏产业规上营收是多少')."""
    rng = random.Random(seed)
    return [f"{rng.choice([2022, 2023, 2024, 2025])}年{rng.choice(_TOWNS)}{rng.choice(_INDUSTRIES)}产业"
            f"{rng.choice(_METRICS)[0]}是多少" for _ in range(n)]
