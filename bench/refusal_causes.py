"""Why each wrong refusal and each answered unanswerable question of the FIT files happened.

    python -m bench.refusal_causes --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        [--set ...] [--show 20]

Every question is answered with the threshold off and the gate on (as bench/fit.py does), then judged with
the shipped refusal model and threshold (app/data/refusal.json). Causes:

- `gate <kind> '<term>'`: the lead evidence lacks a place / org / year / period the plan extracted, with
  `over-reach` when the passage that holds the gold (in the gate's wider pool) lacks it too, so the constraint
  was never the question's to demand; `other passage` when the gold passage names it (the lead came from a
  passage about another place or period); `gold not in pool` when no passage in the pool holds the gold;
- `extractor: a figure of unknown subject '<w>'` (a figure question about a noun the index never
  mentions), `extractor: no candidate` (no sentence of the hits passes the extractor's year / metric / subject
  filters) or `no passage retrieved`: nothing reached the gate;
- `threshold`: the lead passed the gate but the refusal model scored it below the threshold (answerable) or
  at or above it (unanswerable), with its features (a question word the index lacks and the extractor's
  coverage are among them: they are no longer refusals of their own).

Only fit files belong here (docs/evaluation.md: tuning discipline).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from app.answer import CONSTRAINED_POOL
from app.choose import asks_for_many
from app.evaluate import alternatives, load_questions
from app.extract import match_form
from app.gate import evidence, missing
from app.query import Query
from app.rank import Extractor
from app.refusal import FIGURE, NAMES, model, threshold
from app.retrieve import retrieve
from app.settings import from_env
from app.siblings import document_chunks
from app.store import Store
from bench.common import add_sets
from bench.fit import Row, collect, question_scores


def kind(plan: Query, term: str) -> str:
    """Which constraint of the plan a missing term is."""
    if term == FIGURE:
        return "figure"
    if term.endswith("年") and term[:-1] in plan.years:
        return "year"
    if term == plan.months or term in plan.periods:
        return "period"
    if any(term in p or p in term for p in plan.places):
        return "place"
    return "org"


def gold_chunks(store: Store, plan: Query, parts: list[list[str]], top_k: int) -> list[Any]:
    """The passages of the gate's wider pool that hold every gold part."""
    pool = retrieve(store, plan, top_k * CONSTRAINED_POOL)
    return [h.chunk for h in pool if all(any(match_form(o).lower() in evidence(h.chunk).lower() for o in p) for p in parts)]


def gate_cause(store: Store, plan: Query, lacks: tuple[str, ...], parts: list[list[str]], top_k: int) -> str:
    gold = gold_chunks(store, plan, parts, top_k)
    out = []
    for term in lacks:
        where = "gold not in pool" if not gold else "over-reach" if all(term in missing(plan, c, document_chunks(store, c)) for c in gold) else "other passage"
        out.append(f"gate {kind(plan, term)} '{term}' ({where})")
    return "; ".join(out)


def extractor_cause(store: Store, plan: Query, top_k: int) -> str:
    hits = retrieve(store, plan, top_k * 2 if asks_for_many(plan.text) else top_k)
    if not hits:
        return "extractor: no passage retrieved"
    ex = Extractor(store, plan, (), hits)
    if unknown := ex.unknown_subject():
        return f"extractor: a figure of unknown subject '{unknown[0]}'"
    if not ex.candidates(hits):
        return "extractor: no candidate"
    return "extractor: refused (other)"


def cause(store: Store, row: Row, gold: dict[str, Any], top_k: int, t: float) -> str:
    """The cause of one wrong refusal or answered unanswerable question."""
    if any(row.parts):
        best = max((x for x in row.parts if x), key=model())
        return f"threshold (p {model()(best):.2f} {'<' if not row.unanswerable else '>='} {t:.2f}; " + \
            ", ".join(f"{n} {v:.2f}" for n, v in zip(NAMES, best, strict=True)) + ")"
    causes = []
    for plan, result, verdict in row.trace:
        if verdict is not None and verdict.missing:
            causes.append(gate_cause(store, plan, verdict.missing, alternatives(gold), top_k))
        elif not result.answerable:
            causes.append(extractor_cause(store, plan, top_k))
    return " | ".join(dict.fromkeys(causes)) or "no part judged"


def group(cause: str) -> str:
    """A cause without its term and figures, to count alike causes together."""
    if cause.startswith("threshold"):
        return "threshold"
    return re.sub(r"\d+\.\d+", "x", re.sub(r" '[^']*'", "", cause))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sets(p)
    p.add_argument("--show", type=int, default=15, help="questions listed per cause group")
    args = p.parse_args(argv)
    t = threshold()
    for name, index_dir, questions in args.set:
        settings = from_env(index_dir=Path(index_dir))
        store = Store.open(settings)
        golds = {str(g.get("id", "")): g for g in load_questions(Path(questions))}
        rows = collect(name, Path(index_dir), Path(questions), keep_trace=True)
        found: list[tuple[str, str, Row]] = []
        for row, s in zip(rows, question_scores(rows, model()), strict=True):
            passes = row.answered and s >= t
            if row.unanswerable and passes:
                found.append(("unanswerable answered", cause(store, row, golds[row.qid], settings.top_k, t), row))
            elif not row.unanswerable and not passes:
                found.append(("wrong refusal", cause(store, row, golds[row.qid], settings.top_k, t), row))
        n_un = sum(r.unanswerable for r in rows)
        print(f"## {name}: {len(rows)} questions; unanswerable answered {sum(f[0] != 'wrong refusal' for f in found)}/{n_un}, "
              f"wrong refusals {sum(f[0] == 'wrong refusal' for f in found)}/{len(rows) - n_un} (threshold {t:.2f})")
        for what in ("wrong refusal", "unanswerable answered"):
            groups = Counter(group(c) for w, c, _ in found if w == what)
            print(f"\n{what}: " + ", ".join(f"{g} {n}" for g, n in groups.most_common()))
            shown = 0
            for w, c, row in found:
                if w == what and shown < args.show:
                    print(f"  - {row.question}  ->  {c}{'  [lead-correct before the gate]' if row.gated else ''}")
                    shown += 1
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
