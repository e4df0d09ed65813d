"""Where a lead is lost: classify each answerable question whose lead misses the gold, and print counts per cause.

    python -m bench.lead_losses --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        [--set ...] [--show CAUSE] [--limit 20]

Fit files only (docs/evaluation.md): the causes are read to change code. Each question is asked as the
answerer asks it; every call of the composer is recorded (its candidates, best first, and what it wrote), so
a loss is placed at the stage it happens in:

- refused: the answer is a refusal (the gate or the extractor's coverage floor);
- rendered_cut: the chosen (first) candidate's words hold the gold, its rendered piece does not; after a colon
  how: :swapped (another piece leads), :structure (a heading / lead-in shows items without it), :trim;
- later_piece: the gold is in a later cited piece, not in the lead;
- other_candidate: no piece holds it, but a candidate the scorer ranked lower does;
- not_in_candidates: no candidate holds it (retrieval, chunking or the candidate filters).

A question split into parts (app/query.py facets) is labelled split_*, and one whose best figure gave way to a
newer document's (app/choose.py) newer_*.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import app.extract as extract_module
from app.answer import Assistant
from app.candidates import Candidate
from app.choose import Extracted
from app.compose import MAX_ANSWER_CHARS
from app.evaluate import alternatives, found_any, lead, load_questions, pieces, score
from app.settings import from_env
from bench.common import add_sets

NOTE = "（注：较早的"  # app/choose.py's note when the newer document's figure replaced the best one
CAUSES = ("refused", "rendered_cut", "later_piece", "other_candidate", "not_in_candidates")


class Recorder:
    """Wraps app.extract.compose_answer to keep each call's candidates and result (one list per question)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Candidate], Extracted, int]] = []
        self.inner = extract_module.compose_answer

    def __call__(self, *args: Any, **kwargs: Any) -> Extracted:
        result = self.inner(*args, **kwargs)
        budget = kwargs.get("budget", args[5] if len(args) > 5 else MAX_ANSWER_CHARS)
        self.calls.append((list(args[1]), result, budget))
        return result


def _words(c: Candidate) -> str:
    """All the words a candidate could show: its resolved sentence, and a heading's lead and body."""
    extra = f"{c.span.lead}{c.span.body}" if c.span is not None else ""
    return c.resolved + extra


def _how_cut(best: Candidate, result: Extracted) -> str:
    """Why the best candidate's gold is not in the lead: another piece leads (the swap, app/choose.py), a
    heading or lead-in rendered without it, or trim cut its sentence."""
    if result.citations and result.citations[0].quote != best.quote.strip():
        return ":swapped"
    if best.span is not None and best.span.lead:
        return ":structure"
    return ":trim"


def classify(parts: list[list[str]], answer: str, answerable: bool,
             calls: list[tuple[list[Candidate], Extracted, int]]) -> str:
    """The stage the gold is lost at (CAUSES); `calls` are the composer calls the question made (a part of a
    split question has a smaller budget)."""
    if not answerable:
        return "refused"
    head = lead(answer, len(parts))
    missing = [p for p in parts if not found_any(head, p)]
    if not calls:
        return "not_in_candidates"
    split = [(c, r) for c, r, budget in calls if budget < MAX_ANSWER_CHARS]
    last = split or [(c, r) for c, r, _ in calls[-1:]]
    prefix = "split_" if split else ""
    if NOTE in answer:
        prefix += "newer_"
    for p in missing:
        for cands, result in last:
            if not cands or result.text.startswith("知识库中未找到"):
                continue
            first = pieces(result.text)[:1]
            if (found_any(_words(cands[0]), p) or found_any(result.evidence, p)) and not any(found_any(x, p) for x in first):
                return prefix + "rendered_cut" + _how_cut(cands[0], result)
        if any(found_any(x, p) for x in pieces(answer)[len(parts):]):
            return prefix + "later_piece"
        if any(found_any(_words(c), p) for cands, _ in last for c in cands[1:]):
            return prefix + "other_candidate"
    return prefix + "not_in_candidates"


def run(name: str, index_dir: Path, questions: Path, show: list[str], limit: int) -> Counter[str]:
    assistant = Assistant(from_env(index_dir=index_dir))
    recorder = Recorder()
    extract_module.compose_answer = recorder
    counts: Counter[str] = Counter()
    shown = 0
    try:
        for gold in load_questions(questions):
            if gold.get("type") == "unanswerable":
                continue
            recorder.calls = []
            answer = assistant.ask(str(gold["question"]))
            if score(gold, answer)["lead"]:
                counts["lead_ok"] += 1
                continue
            parts = alternatives(gold)
            cause = classify(parts, answer.answer, answer.answerable, recorder.calls)
            counts[cause] += 1
            if cause in show and shown < limit:
                shown += 1
                best = recorder.calls[-1][0][0] if recorder.calls and recorder.calls[-1][0] else None
                kind = best.span.kind if best is not None and best.span is not None else "-"
                print(f"--- {cause} {gold.get('id')} [{gold.get('type')}] {gold['question']}  gold={parts}")
                print(f"    answer: {answer.answer}")
                if best is not None:
                    print(f"    best ({kind}, lead={best.span.lead if best.span else ''!r}): {best.resolved[:300]}")
    finally:
        extract_module.compose_answer = recorder.inner
    total = sum(counts.values())
    print(f"{name}: {total} answerable, lead ok {counts['lead_ok']}; lost: "
          + ", ".join(f"{c} {n}" for c, n in counts.most_common() if c != "lead_ok"), flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sets(p)
    p.add_argument("--show", nargs="*", default=[], help="print the questions lost to these causes")
    p.add_argument("--limit", type=int, default=20, help="at most this many shown per set")
    args = p.parse_args(argv)
    total: Counter[str] = Counter()
    for name, index_dir, questions in args.set:
        total += run(name, Path(index_dir), Path(questions), args.show, args.limit)
    print("all: " + ", ".join(f"{c} {n}" for c, n in total.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
