"""Where the candidate scorer ranks a wrong candidate first: which features made the winner beat the gold.

    python -m bench.scorer_losses --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        [--set ...] [--limit 20]

Fit files only (docs/evaluation.md): the losses are read to change code. Every answerable question is planned,
retrieved and ranked as the answerer ranks it (a split question part by part, as bench/fit_scorer.py collects
them); where a candidate holds the gold but the best-ranked one does not, the shipped scorer's standardised
contributions w * (x_winner - x_gold) / scale say which features put the winner ahead of the best-ranked
candidate that holds the gold. Per set it prints the losses (up to --limit), the contributions summed over all
losses, and where winner and gold come from: the same chunk (overlapping runs and sentences), another chunk of
the same document, or another document — what a new feature would have to tell apart.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from app.answer import Assistant
from app.scorer import NAMES, shipped
from app.settings import from_env
from bench.common import add_sets
from bench.fit_scorer import _words, ranked_parts


def run(name: str, index_dir: Path, questions: Path, limit: int) -> None:
    settings = from_env(index_dir=index_dir)
    store = Assistant(settings).store
    model = shipped()
    weights, scale = np.array(model.weights), np.array(model.scale)
    summed: defaultdict[str, float] = defaultdict(float)
    where: Counter[str] = Counter()
    groups = losses = 0
    for _, gold, facet, rows, holds in ranked_parts(store, settings, questions):
        if not any(holds):
            continue
        groups += 1
        if holds[0]:
            continue
        losses += 1
        g = holds.index(True)
        (winner, xw), (best_gold, xg) = rows[0], rows[g]
        contrib = weights * (np.array(xw) - np.array(xg)) / scale
        for n, c in zip(NAMES, contrib, strict=True):
            summed[n] += float(c)
        same = ("chunk" if winner.chunk.id == best_gold.chunk.id
                else "document" if winner.chunk.source == best_gold.chunk.source else "other document")
        where[same] += 1
        if losses <= limit:
            print(f"--- {gold.get('id')} [{gold.get('type')}] {facet.text}  gold at rank {g + 1} of {len(rows)} ({same})")
            print(f"    winner {winner.score:.3f}: {_words(winner)[:160]}")
            print(f"    gold   {best_gold.score:.3f}: {_words(best_gold)[:160]}")
            top = np.argsort(-np.abs(contrib))[:6]
            print("    " + "  ".join(f"{NAMES[i]} {contrib[i]:+.2f} ({xw[i]:.2f}/{xg[i]:.2f})" for i in top))
    print(f"{name}: {groups} groups with a candidate holding the gold, {losses} ranked another first; "
          + ", ".join(f"{k} {v}" for k, v in where.most_common()))
    print("  winner minus gold, summed: " + ", ".join(f"{n} {v:+.1f}" for n, v in sorted(summed.items(), key=lambda r: -r[1]) if abs(v) >= 0.05))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sets(p)
    p.add_argument("--limit", type=int, default=20, help="at most this many losses shown per set")
    args = p.parse_args(argv)
    for name, index_dir, questions in args.set:
        run(name, Path(index_dir), Path(questions), args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
