"""Evaluation over both gold formats: `must` (seed questions) and RGB (`answer_parts`, `doc_groups`).

Reports answer accuracy, citation support (every required string inside a cited quote), refusal accuracy,
recall@k where gold documents are given, answer recall@k (every required string somewhere in the top k
passages: gold document lists are often incomplete, RGB's among them), and latency p50/p95, overall and
per question type.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from app.answer import Assistant
from app.errors import KBQAError
from app.extract import MAX_ANSWER_CHARS
from app.schema import Answer


def _alternatives(gold: dict[str, Any]) -> list[list[str]]:
    """Required strings as a list of alternatives lists: every inner list needs one match."""
    if "answer_parts" in gold:
        return [[str(a) for a in part] for part in gold["answer_parts"]]
    return [str(m).split("|") for m in gold.get("must", [])]


def _found(text: str, options: list[str]) -> bool:
    low = text.lower()
    return any(o.lower() in low for o in options)


def score(gold: dict[str, Any], answer: Answer) -> dict[str, bool]:
    parts = _alternatives(gold)
    unanswerable = gold.get("type") == "unanswerable"
    if unanswerable:
        return {"correct": not answer.answerable, "supported": not answer.answerable, "refusal_ok": not answer.answerable}
    quotes = " ".join(c.quote for c in answer.citations)
    correct = answer.answerable and len(answer.answer) <= MAX_ANSWER_CHARS and all(_found(answer.answer, p) for p in parts)
    supported = correct and all(_found(quotes, p) for p in parts)
    return {"correct": correct, "supported": supported, "refusal_ok": answer.answerable}


def _doc_id(source: str) -> str:
    return source.split("#", 1)[-1]


def evaluate(assistant: Assistant, path: Path, k: int = 5) -> dict[str, Any]:
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise KBQAError(f"无法读取评测文件 {path}：{exc}") from None
    per_type: dict[str, dict[str, list[float]]] = {}
    latencies: list[float] = []
    failures = []
    for row in rows:
        qtype = str(row.get("type", "all"))
        bucket = per_type.setdefault(qtype, {"correct": [], "supported": [], "refusal_ok": [], "recall": [], "answer_recall": []})
        started = time.perf_counter()
        answer = assistant.ask(str(row["question"]), qid=str(row.get("id", "")))
        latencies.append((time.perf_counter() - started) * 1000)
        result = score(row, answer)
        for key, value in result.items():
            bucket[key].append(float(value))
        if row.get("doc_groups") or (row.get("type") != "unanswerable" and _alternatives(row)):
            hits = assistant.search(str(row["question"]), k)
            if row.get("doc_groups"):
                ids = {_doc_id(h.chunk.source) for h in hits}
                bucket["recall"].append(float(all(any(d in ids for d in g) for g in row["doc_groups"])))
            passages = " ".join(h.chunk.text for h in hits)
            bucket["answer_recall"].append(float(all(_found(passages, p) for p in _alternatives(row))))
        if not result["correct"]:
            failures.append({"id": row.get("id"), "question": row["question"], "answer": answer.answer[:120]})

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    def summary(buckets: list[dict[str, list[float]]]) -> dict[str, Any]:
        merged = {key: [v for b in buckets for v in b[key]] for key in ("correct", "supported", "refusal_ok", "recall", "answer_recall")}
        return {
            "n": len(merged["correct"]),
            "answer_accuracy": mean(merged["correct"]),
            "citation_support": mean(merged["supported"]),
            "refusal_accuracy": mean(merged["refusal_ok"]),
            f"recall@{k}": mean(merged["recall"]),
            f"answer_recall@{k}": mean(merged["answer_recall"]),
        }

    return {
        "file": str(path),
        "overall": summary(list(per_type.values())),
        "by_type": {t: summary([b]) for t, b in per_type.items()},
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1) if latencies else None,
            "p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        },
        "failures": failures,
    }


def render_report(report: dict[str, Any]) -> str:
    lines = [f"评测文件：{report['file']}"]
    header = f"{'类型':12}{'数量':>6}{'答案正确率':>12}{'引用支持率':>12}{'拒答/作答正确':>14}{'召回率':>10}{'答案召回率':>10}"
    lines.append(header)
    rows = [("全部", report["overall"]), *report["by_type"].items()]
    for name, s in rows:
        recall = next((v for key, v in s.items() if key.startswith("recall@")), None)
        answer_recall = next((v for key, v in s.items() if key.startswith("answer_recall@")), None)
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(f"{name:12}{s['n']:>6}{fmt(s['answer_accuracy']):>12}{fmt(s['citation_support']):>12}"
                     f"{fmt(s['refusal_accuracy']):>14}{fmt(recall):>10}{fmt(answer_recall):>10}")
    lat = report["latency_ms"]
    lines.append(f"延迟：p50 {lat['p50']} ms，p95 {lat['p95']} ms")
    for f in report["failures"][:30]:
        lines.append(f"  ✗ {f['id']} {f['question']} → {f['answer']}")
    return "\n".join(lines)
