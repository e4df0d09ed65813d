"""Evaluation over both gold formats: `must` (our sets) and `answer_parts` (RGB and the tuning packs).

Two kinds of figure sit side by side so that a lenient one can never pass for a strict one:

- `answer_accuracy` (lenient, kept for comparison with earlier rounds): every required string anywhere in
  an answer of at most MAX_ANSWER_CHARS characters. An answer that lists five candidate sentences scores.
- `lead_accuracy`: every required string in the answer's *lead*, its first n cited pieces for a gold of
  n parts. A piece ends at a `[k]` marker group: the text up to and including the first group is piece 1.
  Text after the last marker is cited by nothing and never counts.
- `baseline_accuracy`: no answerer at all. The first BASELINE_CHARS characters, in all, of the top
  BASELINE_K retrieved passages joined: the same budget an answer has (issue #11's 0.765 on RGB dev). A
  question counts when every required string is in there. The baseline cannot refuse, so on unanswerable
  questions it is always wrong. An answerer that does not beat this adds nothing over showing the passages.
  `baseline_5x200_accuracy` is a looser view: the first BASELINE_CHARS characters of *each* passage.
- `unanswerable_refused` (refused / unanswerable questions) and `wrong_refusals` (answerable questions
  refused / answerable questions): refusing everything must show up as a cost, not only as a gain.

Also: citation support, refusal accuracy, recall@k where gold documents are given, answer recall@k (every
required string in the top k passages; gold document lists are often incomplete, RGB's among them), and
latency p50/p95, overall and per question type.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from pathlib import Path
from typing import Any

from app.answer import Assistant
from app.errors import KBQAError
from app.extract import MAX_ANSWER_CHARS
from app.schema import Answer

BASELINE_K = 5
BASELINE_CHARS = 200
_MARKER_GROUP = re.compile(r"(?:\[\d{1,3}\]\s*)+")
_MARKER = re.compile(r"\[\d{1,3}\]")
_FIGURES = ("correct", "lead", "supported", "refusal_ok", "unanswerable_refused", "wrong_refusal", "baseline",
            "baseline_5x200", "recall", "answer_recall")


def alternatives(gold: dict[str, Any]) -> list[list[str]]:
    """Required strings as a list of alternatives lists: every inner list needs one match."""
    if "answer_parts" in gold:
        return [[str(a) for a in part] for part in gold["answer_parts"]]
    return [str(m).split("|") for m in gold.get("must", [])]


def found_any(text: str, options: list[str]) -> bool:
    """Whether the text holds any of one part's alternatives, case aside (the match every figure here uses)."""
    low = text.lower()
    return any(o.lower() in low for o in options)


def pieces(answer: str) -> list[str]:
    """The answer's cited pieces, markers removed; text after the last marker group is not a piece."""
    out, start = [], 0
    for group in _MARKER_GROUP.finditer(answer):
        out.append(answer[start:group.start()])
        start = group.end()
    return out


def lead(answer: str, parts: int) -> str:
    """The first `parts` cited pieces (at least one): where a reader looks for the answer."""
    return "\n".join(pieces(answer)[: max(parts, 1)])


def baseline_text(passages: list[str]) -> str:
    """What a reader sees without any answerer: the head of each of the top passages."""
    return "\n".join(p[:BASELINE_CHARS] for p in passages[:BASELINE_K])


def baseline_200_text(passages: list[str]) -> str:
    """The same reader with an answer's length budget: BASELINE_CHARS characters in all."""
    return "\n".join(passages[:BASELINE_K])[:BASELINE_CHARS]


def score(gold: dict[str, Any], answer: Answer) -> dict[str, bool]:
    """Per-question verdicts; keys not meaningful for the question's kind are left out."""
    parts = alternatives(gold)
    refused = not answer.answerable
    if gold.get("type") == "unanswerable":
        return {"correct": refused, "lead": refused, "supported": refused, "refusal_ok": refused,
                "unanswerable_refused": refused}
    quotes = " ".join(c.quote for c in answer.citations)
    correct = answer.answerable and len(answer.answer) <= MAX_ANSWER_CHARS and all(found_any(answer.answer, p) for p in parts)
    head = lead(answer.answer, len(parts))
    return {
        "correct": correct,
        "lead": answer.answerable and all(found_any(head, p) for p in parts),
        "supported": correct and all(found_any(quotes, p) for p in parts),
        "refusal_ok": answer.answerable,
        "wrong_refusal": refused,
    }


def _doc_id(source: str) -> str:
    return source.split("#", 1)[-1]


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Gold rows; a broken line is reported by number, so the file can be fixed rather than guessed at."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KBQAError(f"无法读取评测文件 {path}：{exc}。应为 UTF-8 编码的 JSONL 文件。") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise KBQAError(f"评测文件 {path} 第{number}行不是有效的 JSON。") from None
        if not isinstance(row, dict) or not str(row.get("question", "")).strip():
            raise KBQAError(f"评测文件 {path} 第{number}行缺少 question 字段。")
        if row.get("type") != "unanswerable" and not isinstance(row.get("answer_parts", row.get("must", [])), list):
            raise KBQAError(f"评测文件 {path} 第{number}行的 must / answer_parts 应为列表。")
        rows.append(row)
    return rows


def evaluate(assistant: Assistant, path: Path, k: int = 5) -> dict[str, Any]:
    rows = load_questions(path)
    per_type: dict[str, dict[str, list[float]]] = {}
    latencies: list[float] = []
    failures, lead_failures = [], []
    for row in rows:
        question = str(row["question"])
        qtype = str(row.get("type", "all"))
        bucket = per_type.setdefault(qtype, {key: [] for key in _FIGURES})
        started = time.perf_counter()
        answer = assistant.ask(question, qid=str(row.get("id", "")))
        latencies.append((time.perf_counter() - started) * 1000)
        result = score(row, answer)
        for key, value in result.items():
            bucket[key].append(float(value))
        if row.get("type") == "unanswerable":
            bucket["baseline"].append(0.0)  # the passages alone never refuse
            bucket["baseline_5x200"].append(0.0)
        else:
            parts = alternatives(row)
            top = [h.chunk.text for h in assistant.search(question, BASELINE_K)]
            bucket["baseline"].append(float(all(found_any(baseline_200_text(top), p) for p in parts)))
            bucket["baseline_5x200"].append(float(all(found_any(baseline_text(top), p) for p in parts)))
            hits = assistant.search(question, k)
            if row.get("doc_groups"):
                ids = {_doc_id(h.chunk.source) for h in hits}
                bucket["recall"].append(float(all(any(d in ids for d in g) for g in row["doc_groups"])))
            if parts:
                passages = " ".join(h.chunk.text for h in hits)
                bucket["answer_recall"].append(float(all(found_any(passages, p) for p in parts)))
        brief = {"id": row.get("id"), "question": question, "answer": answer.answer[:120]}
        if not result["correct"]:
            failures.append(brief)
        elif not result["lead"]:
            lead_failures.append(brief)

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    def summary(buckets: list[dict[str, list[float]]]) -> dict[str, Any]:
        merged = {key: [v for b in buckets for v in b[key]] for key in _FIGURES}
        return {
            "n": len(merged["correct"]),
            "answer_accuracy": mean(merged["correct"]),
            "lead_accuracy": mean(merged["lead"]),
            "unanswerable_refused": mean(merged["unanswerable_refused"]),
            "wrong_refusals": mean(merged["wrong_refusal"]),
            "baseline_accuracy": mean(merged["baseline"]),
            "baseline_5x200_accuracy": mean(merged["baseline_5x200"]),
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
        "lead_failures": lead_failures,
    }


def display_width(text: str) -> int:
    """Terminal columns: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Aligned lines: the first column left, the others right, widths counted in terminal columns."""
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [r[0] + " " * (widths[0] - display_width(r[0]))]
        cells += [" " * (w - display_width(c)) + c for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


_COLUMNS = [
    ("answer_accuracy", "答案正确率"),
    ("lead_accuracy", "首段正确率"),
    ("baseline_accuracy", "基线正确率"),
    ("baseline_5x200_accuracy", "基线5×200字"),
    ("unanswerable_refused", "不可答拒答率"),
    ("wrong_refusals", "误拒率"),
    ("citation_support", "引用支持率"),
    ("refusal_accuracy", "拒答/作答正确"),
]


def render_report(report: dict[str, Any]) -> str:
    overall = report["overall"]
    recall_key = next(key for key in overall if key.startswith("recall@"))
    answer_recall_key = next(key for key in overall if key.startswith("answer_recall@"))
    k = recall_key.split("@", 1)[1]
    header = ["类型", "数量", *(name for _, name in _COLUMNS), f"召回率@{k}", f"答案召回率@{k}"]

    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    rows = [
        [name, str(s["n"]), *(fmt(s[key]) for key, _ in _COLUMNS), fmt(s[recall_key]), fmt(s[answer_recall_key])]
        for name, s in [("全部", overall), *report["by_type"].items()]
    ]
    lines = [f"评测文件：{report['file']}", *table(header, rows)]
    lines.append(f"首段：答案的前 n 个引用片段（n 为标准答案的部分数）。基线：不经回答器，检索前 {BASELINE_K} 段各取前 "
                 f"{BASELINE_CHARS} 字；基线200字：这 {BASELINE_K} 段拼接后的前 {BASELINE_CHARS} 字（与答案同长）。"
                 "基线不会拒答，不可答问题一律记错。")
    lat = report["latency_ms"]
    lines.append(f"延迟：p50 {lat['p50']} ms，p95 {lat['p95']} ms")
    for f in report["failures"][:30]:
        lines.append(f"  ✗ {f['id']} {f['question']} → {f['answer']}")
    for f in report["lead_failures"][:30]:
        lines.append(f"  ◐ {f['id']} {f['question']} → {f['answer']}（答案在后文，不在首段）")
    return "\n".join(lines)
