"""What RGB's multi-document gold labels reward: passages that hold one part of the answer, never the
passages that hold all of it.

    .venv/bin/python -m bench.rgb_labels --corpus ../shared/eval/external/corpus.jsonl \
        --questions ../shared/eval/external/questions_dev.jsonl [--index-dir /tmp/rgb]

For every multi-document question it counts the corpus passages that contain a string of every answer
part (RGB's own matching rule: any alternative, case-insensitive) and how many of them are gold, next to
the passages that contain some parts but not all. Then recall@k as RGB's labels count it, beside recall@k
when a top-k passage holding every answer part counts for every group it answers, for the plain jieba +
bm25s baseline and, with --index-dir (an index built from that corpus), for ours.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.answer import Assistant
from app.settings import from_env


def holds(text: str, part: list[str]) -> bool:
    low = text.lower()
    return any(alt.lower() in low for alt in part)


def label_counts(rows: list[dict[str, Any]], docs: dict[str, str]) -> dict[str, int]:
    out = {"questions": 0, "complete": 0, "complete_gold": 0, "partial": 0, "partial_gold": 0}
    for row in rows:
        if row.get("type") != "multi_doc":
            continue
        out["questions"] += 1
        gold = {d for group in row["doc_groups"] for d in group}
        parts = row["answer_parts"]
        for doc_id, text in docs.items():
            found = sum(holds(text, p) for p in parts)
            kind = "complete" if found == len(parts) else "partial" if found else ""
            if kind:
                out[kind] += 1
                out[f"{kind}_gold"] += doc_id in gold
    return out


def ours(index_dir: Path, k: int) -> Callable[[str], list[str]]:
    assistant = Assistant(from_env(index_dir=index_dir))
    return lambda question: [h.chunk.source.split("#", 1)[-1] for h in assistant.search(question, k)]


def plain_bm25(docs: dict[str, str], k: int) -> Callable[[str], list[str]]:
    """The issue's baseline: jieba search-mode tokens of whole passages, bm25s, nothing else."""
    import bm25s
    import jieba

    ids = list(docs)
    cut = lambda text: [w for w in jieba.cut_for_search(text.lower()) if w.strip()]  # noqa: E731
    index = bm25s.BM25()
    index.index([cut(docs[i]) for i in ids], show_progress=False)
    return lambda question: [ids[j] for j in index.retrieve([cut(question)], k=k, show_progress=False)[0][0]]


def recalls(rows: list[dict[str, Any]], docs: dict[str, str], search: Callable[[str], list[str]]) -> tuple[float, float]:
    labelled = counted = 0
    for row in rows:
        ids = search(str(row["question"]))
        covered = [any(d in ids for d in group) for group in row["doc_groups"]]
        labelled += all(covered)
        complete = row.get("type") == "multi_doc" and any(
            all(holds(docs.get(d, ""), p) for p in row["answer_parts"]) for d in ids
        )
        counted += all(covered) or complete
    return labelled / len(rows), counted / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    docs = {}
    for line in args.corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            docs[str(row["id"])] = str(row["text"])
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    c = label_counts(rows, docs)
    print(f"multi-document questions: {c['questions']}")
    print(f"passages holding every answer part: {c['complete']:>5}, of them gold: {c['complete_gold']}")
    print(f"passages holding some parts only:   {c['partial']:>5}, of them gold: {c['partial_gold']}")
    searches = [("plain jieba + bm25s", plain_bm25(docs, args.k))]
    if args.index_dir:
        searches.append(("ours", ours(args.index_dir, args.k)))
    print(f"{'retrieval':<20} recall@{args.k} (RGB's labels)   recall@{args.k} (a passage holding every answer part counts for all its groups)")
    for name, search in searches:
        labelled, counted = recalls(rows, docs, search)
        print(f"{name:<20} {labelled:>23.3f}   {counted:>.3f}")


if __name__ == "__main__":
    main()
