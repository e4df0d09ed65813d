"""Which answerable questions have their gold in no hit the extractor reads, and why: one cause per question.

    python -m bench.recall_losses --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        [--set ...] [--show CAUSE ...] [--limit 20] [--depth 200]

Fit files only (docs/evaluation.md): the causes are read to change code. A question is planned as the
answerer plans it and retrieves what `Assistant.answer_one` reads (top_k hits, twice that for a question
asking for several things; a split question retrieves per part, as app.retrieve does). When every required
string is in those hits the question is no loss. Otherwise the loss is placed:

- no_chunk: no chunk of the index holds a part (it crosses a chunk boundary, or the corpus words differ);
- neighbour: a chunk holding it is next to a hit in the same document (one chunk before or after);
- same_document: a chunk holding it is in a hit's document, further away;
- deeper_10 / deeper_50 / deeper: retrieval ranks the first chunk holding it 6-10 / 11-50 / beyond 50
  (`--depth` bounds the search);
- unretrieved: no query token reaches it (its BM25 score is 0).

Shown cases print the hits' titles, the gold chunk's rank, title and text, and each question token's weight
with whether the gold chunk and the top hit contain it.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from app.answer import Assistant
from app.evaluate import alternatives, found_any, load_questions
from app.extract import asks_for_many
from app.query import Query, analyze
from app.retrieve import retrieve, weighted_bm25
from app.schema import Chunk, Hit
from app.settings import from_env
from app.store import Store
from app.terms import term_weights
from bench.common import add_sets

CAUSES = ("no_chunk", "neighbour", "same_document", "deeper_10", "deeper_50", "deeper", "unretrieved")


def read_hits(assistant: Assistant, plan: Query) -> list[Hit]:
    """The hits the extractor reads for this plan (Assistant.extract_plan's top_k choice)."""
    top_k = assistant.settings.top_k
    many = not plan.facets and asks_for_many(plan.text)
    return retrieve(assistant.store, plan, top_k * 2 if many else top_k)


def place(store: Store, plan: Query, hits: list[Hit], parts: list[list[str]], depth: int) -> tuple[str, Chunk | None, int]:
    """(cause, a chunk holding the missing part, its retrieval rank or 0) for a question whose hits miss a part."""
    missing = [p for p in parts if not found_any(" ".join(h.chunk.text for h in hits), p)]
    holders = [i for i, c in enumerate(store.chunks) if all(found_any(c.text, p) for p in missing)]
    if not holders:
        holders = [i for i, c in enumerate(store.chunks) if found_any(c.text, missing[0])]
    if not holders:
        return "no_chunk", None, 0
    deep = retrieve(store, plan, depth)
    ranks = {h.chunk.id: h.rank for h in deep}
    held = sorted(holders, key=lambda i: ranks.get(store.chunks[i].id, depth + 1))
    best = store.chunks[held[0]]
    rank = ranks.get(best.id, 0)
    by_hit = {(h.chunk.source, h.chunk.ordinal) for h in hits}
    for i in holders:
        c = store.chunks[i]
        if (c.source, c.ordinal - 1) in by_hit or (c.source, c.ordinal + 1) in by_hit:
            return "neighbour", c, ranks.get(c.id, 0)
    sources = {h.chunk.source for h in hits}
    same = [store.chunks[i] for i in holders if store.chunks[i].source in sources]
    if same:
        return "same_document", same[0], ranks.get(same[0].id, 0)
    if rank == 0:
        scores = weighted_bm25(store, plan.keys, term_weights())
        return ("unretrieved" if max(float(scores[i]) for i in holders) <= 0 else "deeper"), best, 0
    return ("deeper_10" if rank <= 10 else "deeper_50" if rank <= 50 else "deeper"), best, rank


def show(store: Store, gold: dict[str, Any], plan: Query, hits: list[Hit], cause: str, chunk: Chunk | None, rank: int) -> None:
    weights = term_weights()
    print(f"--- {cause} {gold.get('id')} [{gold.get('type')}] {gold['question']}  gold={alternatives(gold)}")
    for h in hits:
        print(f"    hit {h.rank}: {h.chunk.title[:30]} / {h.chunk.locator} / {h.chunk.text[:60]!r}")
    if chunk is None:
        return
    print(f"    gold chunk (rank {rank or '-'}): {chunk.title[:30]} / {chunk.locator} / {chunk.text[:160]!r}")
    top = hits[0].chunk.index_text if hits else ""
    keys = ", ".join(f"{k.token}/{k.tag}:{k.weight(weights):g}{'G' if k.token in chunk.index_text else ''}"
                     f"{'T' if k.token in top else ''}" for k in plan.keys)
    print(f"    keys (G in gold chunk, T in top hit): {keys}")


def run(name: str, index_dir: Path, questions: Path, shown: list[str], limit: int, depth: int) -> Counter[str]:
    assistant = Assistant(from_env(index_dir=index_dir))
    store = assistant.store
    counts: Counter[str] = Counter()
    printed = 0
    mrr = 0.0
    for gold in load_questions(questions):
        parts = alternatives(gold)
        if gold.get("type") == "unanswerable" or not parts:
            continue
        plan = analyze(str(gold["question"]), assistant.settings.question_date(), store.idf)
        hits = read_hits(assistant, plan)
        first = next((h.rank for h in hits if all(found_any(h.chunk.text, p) for p in parts)), None)
        mrr += 1.0 / first if first else 0.0
        counts["at_1"] += first == 1
        if all(found_any(" ".join(h.chunk.text for h in hits), p) for p in parts):
            counts["read"] += 1
            continue
        cause, chunk, rank = place(store, plan, hits, parts, depth)
        counts[cause] += 1
        if cause in shown and printed < limit:
            printed += 1
            show(store, gold, plan, hits, cause, chunk, rank)
    total = sum(counts.values()) - counts["at_1"]
    print(f"{name}: {total} answerable, gold read {counts['read']} ({counts['read'] / max(total, 1):.3f}), "
          f"MRR of a hit holding it all {mrr / max(total, 1):.3f}, at 1 {counts['at_1']}; lost: "
          + ", ".join(f"{c} {counts[c]}" for c in CAUSES if counts[c]), flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sets(p)
    p.add_argument("--show", nargs="*", default=[], help="print the questions lost to these causes")
    p.add_argument("--limit", type=int, default=20, help="at most this many shown per set")
    p.add_argument("--depth", type=int, default=200, help="how deep to look for the chunk holding the gold")
    args = p.parse_args(argv)
    total: Counter[str] = Counter()
    for name, index_dir, questions in args.set:
        total += run(name, Path(index_dir), Path(questions), args.show, args.limit, args.depth)
    print("all: " + ", ".join(f"{c} {n}" for c, n in total.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
