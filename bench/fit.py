"""Fit the "no answer" threshold of app/refusal.py on fit files and print the trade-off curve.

    python -m bench.fit --set "ncp fit" /tmp/idx_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        --set "RGB dev" /tmp/idx_rgb ../shared/eval/external/questions_dev.jsonl [--write]

Every fit question is answered once with the threshold off (the constraint gate stays on); each answer's
lead evidence score (refusal.coverage) is recorded, and the threshold is swept over those scores. The chosen
value is the one with the best lead accuracy among those that answer at most `--max-answered` of the
unanswerable questions and refuse at most `--max-refused` of the answerable ones; when no value meets both,
the one that exceeds them least, each excess relative to its bound. `--write` stores it in app/data/refusal.json with what it was fitted on.
Only fit files belong here (docs/evaluation.md: tuning discipline); check files are reported elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

from app.answer import Assistant
from app.evaluate import load_questions, score
from app.refusal import THRESHOLD_FILE
from app.settings import from_env

STEPS = [round(i * 0.02, 2) for i in range(51)]


@dataclass(frozen=True)
class Row:
    """One fit question answered with the threshold off."""

    name: str
    unanswerable: bool
    answered: bool  # after the gate, threshold off
    lead: bool  # lead-correct when answered (an answerable question)
    score: float  # the best lead-evidence score among its surviving parts (1.0 when none was scored)
    gated: bool  # the gate refused a part whose answer was lead-correct before it (counted in the report)


def collect(name: str, index_dir: Path, questions: Path) -> list[Row]:
    settings = from_env(index_dir=index_dir)
    assistant = Assistant(settings, refusal_limit=0.0)
    rows = []
    for gold in load_questions(questions):
        assistant.trace = []
        answer = assistant.ask_extractive(gold["question"], qid=str(gold.get("id", "")))
        marks = score(gold, answer)
        kept = [v.score for _, _, v in assistant.trace if v is not None and not v.missing]
        before = [r for _, r, v in assistant.trace if v is not None and v.missing]
        gated = bool(before) and len(assistant.trace) == 1 and score(gold, replace(answer, answer=before[0].text, answerable=True))["lead"]
        rows.append(Row(name, gold.get("type") == "unanswerable", answer.answerable, bool(marks["lead"]),
                        max(kept, default=1.0), gated))
    return rows


def at(rows: list[Row], t: float) -> tuple[float, float, float]:
    """(unanswerable answered, answerable refused, lead accuracy) with threshold t."""
    unans = [r for r in rows if r.unanswerable]
    ans = [r for r in rows if not r.unanswerable]
    answered = [r.answered and r.score >= t for r in rows]
    u = sum(a for r, a in zip(rows, answered, strict=True) if r.unanswerable) / max(1, len(unans))
    w = sum(not a for r, a in zip(rows, answered, strict=True) if not r.unanswerable) / max(1, len(ans))
    good = sum((not a) if r.unanswerable else (a and r.lead) for r, a in zip(rows, answered, strict=True))
    return u, w, good / max(1, len(rows))


def choose(rows: list[Row], max_answered: float, max_refused: float) -> float:
    """The threshold with the best lead accuracy within both bounds; when none is, the one that exceeds
    them least, each excess counted in units of its own bound (a point over 5% weighs twice a point over
    10%: a plain sum would trade many answerable questions for one unanswerable one)."""
    def key(t: float) -> tuple[float, float]:
        u, w, acc = at(rows, t)
        return (max(0.0, u - max_answered) / max_answered + max(0.0, w - max_refused) / max_refused, -acc)

    return min(STEPS, key=lambda t: (key(t), t))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", nargs=3, action="append", required=True, metavar=("NAME", "INDEX_DIR", "QUESTIONS"))
    p.add_argument("--max-answered", type=float, default=0.10, help="share of unanswerable questions answered")
    p.add_argument("--max-refused", type=float, default=0.05, help="share of answerable questions refused")
    p.add_argument("--write", action="store_true", help=f"write the chosen value to {THRESHOLD_FILE}")
    args = p.parse_args(argv)
    rows: list[Row] = []
    for name, index_dir, questions in args.set:
        rows += collect(name, Path(index_dir), Path(questions))
    names = list(dict.fromkeys(r.name for r in rows))
    print(f"{len(rows)} questions, {sum(r.unanswerable for r in rows)} unanswerable; "
          f"the gate refused {sum(r.gated for r in rows)} answers that were lead-correct before it")
    print("threshold  unans.answered  ans.refused  lead   " + "  ".join(f"{n}(lead)" for n in names))
    for t in STEPS:
        u, w, acc = at(rows, t)
        per = "  ".join(f"{at([r for r in rows if r.name == n], t)[2]:.3f}" for n in names)
        print(f"{t:9.2f}  {u:14.3f}  {w:11.3f}  {acc:.3f}  {per}")
    best = choose(rows, args.max_answered, args.max_refused)
    u, w, acc = at(rows, best)
    met = u <= args.max_answered and w <= args.max_refused
    print(f"chosen {best:.2f}: unanswerable answered {u:.3f} (≤ {args.max_answered}), answerable refused {w:.3f} "
          f"(≤ {args.max_refused}), lead {acc:.3f}; {'both bounds met' if met else 'bounds NOT both met: least relative excess'}")
    if args.write:
        data = {
            "threshold": best,
            "score": "app.refusal.coverage of the lead evidence (plan term weights; sentence 1, chunk/headings CONTEXT_CREDIT)",
            "fitted_on": [f"{n}: {q} ({sum(r.name == n for r in rows)} questions)" for n, _, q in args.set],
            "criterion": f"unanswerable answered <= {args.max_answered}, answerable refused <= {args.max_refused}, then best lead",
            "at_threshold": {"unanswerable_answered": round(u, 4), "answerable_refused": round(w, 4), "lead": round(acc, 4),
                             "bounds_met": met},
            "date": dt.date.today().isoformat(),
        }
        THRESHOLD_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written: {THRESHOLD_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
