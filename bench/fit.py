"""Fit the refusal model of app/refusal.py (weights and "no answer" threshold) on fit files only.

    python -m bench.fit --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        --set "RGB dev" /tmp/ev_rgb ../shared/eval/external/questions_dev.jsonl [--write]

Every fit question is answered once with the threshold off (the constraint gate stays on); for each part
whose lead evidence passes the gate, the refusal features (app.refusal.NAMES) are recorded. A logistic
regression over them learns whether the answer is right (an answerable question whose lead holds the gold);
its weights are cross-validated by question (`--folds`), and the threshold is swept over the out-of-fold
probabilities: the chosen value is the one with the best lead accuracy among those that answer at most
`--max-answered` of the unanswerable questions and refuse at most `--max-refused` of the answerable ones;
when none meets both, the one within `--max-refused` that answers the fewest unanswerable questions. The curve and the
same choice for each single feature are printed. `--write` stores the weights, fitted on all rows, and the
threshold in app/data/refusal.json with what they were fitted on. Re-run it whenever the candidate scorer
(app/data/scorer.json) is refitted: its probability is a feature. Check files belong elsewhere
(docs/evaluation.md: tuning discipline).

Tried and not kept (fit pool at 0548013, 43 unanswerable of 1,146; fewest unanswerable answered with answerable
refused <= 0.05, 5- and 10-fold CV over four seeds, mean; shipped features 0.209): the idf share of the
question's terms absent from the lead's chunk 0.209, whether its highest-weight term is absent, the character
pairs of the question in the lead's chunk 0.206 or sentence, the share of its subject nouns absent from the
lead's chunk 0.224 / sentence 0.212 (also only for questions asking a number, date, person or place), an asked
value the lead does not show 0.209, pairs + absent share 0.203; with the label 'answerable' instead of
'lead-correct' 0.238 (shipped features) to 0.195 (pairs + absent share, 0.163-0.233 by seed). No gain beyond one
question of 43. The same-document gate (a place named in any chunk of the lead's document) would answer two
answerable questions with a wrong lead and one unanswerable one: not kept either; since 8857042 the document
counts only when the lead calls the place by its level ('我市': app.gate.self_named).

Tried and not kept at f51bbbf (fit pool 1,188 questions, 51 unanswerable; 5-fold CV over four seeds, mean;
shipped features: unanswerable answered 0.221 at answerable refused <= 0.05, answerable refused 0.121 at
unanswerable answered <= 0.10): the weighted coverage of all the answer's cited sentences together
(0.221 / 0.096: it moves the strict end of the curve, with a negative weight beside the lead's coverage; the
shipped criterion then picks 0.41 and bench.eval_all loses one lead on ncp fit and one on RGB dev, with two
RGB questions refused), the asked type (list; description kinds; typed values), the idf share of the
question's verbs absent from the lead evidence, of its compound terms absent from the lead sentence, the
largest absent term's weight, the top term absent here but present in another document's hit, term coverage
of the whole retrieved pool or of the lead's document, the lead's retrieval rank: none moved the first figure
by more than one question of 51. A refit after 8857042's gate change (threshold 0.42, CV 0.196 / 0.042) lost
kb dev two leads and one unanswerable refusal end to end, so refusal.json stays the 5d4a801 fit.

Tried and not kept at 8f796b8 (fit pool 1,235 questions, 54 unanswerable; 5-fold CV over four seeds, mean;
shipped features: unanswerable answered 0.199 at answerable refused <= 0.05, answerable refused 0.137 at
unanswerable answered <= 0.10): the weighted term coverage of the lead sentence alone (0.199 / 0.123), of the
lead's title and headline (0.204 / 0.175), whether the highest-weight term is in the lead's chunk (0.199 /
0.136), the longest common substring of question and chunk (0.208 / 0.132) or sentence (0.204 / 0.141), as a
share of the question. A refit on the gate of 9d746db (threshold 0.49, CV 0.185 / 0.047) lost end to end ncp
fit 4 leads (0.677 -> 0.667), cmrc fit 2, kb dev 1, and refused no more unanswerable questions: not kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.answer import Assistant
from app.evaluate import load_questions, score
from app.refusal import FEATURES, NAMES, THRESHOLD_FILE, Model
from app.settings import from_env
from bench.common import add_sets

STEPS = [round(i * 0.01, 2) for i in range(101)]
L2 = 1e-2  # a small ridge: a few features, a thousand questions; keeps a separable fold finite


@dataclass(frozen=True)
class Row:
    """One fit question answered with the threshold off."""

    name: str
    qid: str
    question: str
    unanswerable: bool
    answered: bool  # after the gate, threshold off
    lead: bool  # lead-correct when answered (an answerable question)
    parts: tuple[tuple[float, ...], ...]  # refusal features of each part that passed the gate
    gated: bool  # the gate refused a part whose answer was lead-correct before it (counted in the report)
    trace: tuple[Any, ...] = field(default=(), compare=False)  # (plan, result, verdict) per gated part


def collect(name: str, index_dir: Path, questions: Path, keep_trace: bool = False) -> list[Row]:
    settings = from_env(index_dir=index_dir)
    assistant = Assistant(settings, refusal_limit=0.0)
    rows = []
    for gold in load_questions(questions):
        assistant.trace = []
        answer = assistant.ask_extractive(gold["question"], qid=str(gold.get("id", "")))
        marks = score(gold, answer)
        parts = tuple(v.features for _, _, v in assistant.trace if v is not None and not v.missing)
        before = [r for _, r, v in assistant.trace if v is not None and v.missing]
        gated = bool(before) and len(assistant.trace) == 1 and score(gold, replace(answer, answer=before[0].text, answerable=True))["lead"]
        rows.append(Row(name, str(gold.get("id", "")), gold["question"], gold.get("type") == "unanswerable",
                        answer.answerable, bool(marks["lead"]), parts, gated,
                        tuple(assistant.trace) if keep_trace else ()))
    return rows


def label(row: Row) -> float:
    """What the model learns: answering this question is right (it is answerable and the lead holds the gold)."""
    return float(row.answered and row.lead and not row.unanswerable)


def design(rows: list[Row], columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """One line per answered question: its best scored part by the scorer's probability (most have one)."""
    use = [r for r in rows if any(r.parts)]
    xs = [max((p for p in r.parts if p), key=lambda p: p[0]) for r in use]
    ys = [label(r) for r in use]
    return np.array(xs, dtype=float)[:, columns].reshape(len(xs), len(columns)), np.array(ys)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias by Newton steps on the L2-penalised log-likelihood (numpy; no new dependency)."""
    z = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], L2)
    reg[0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (p - y) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w[1:], float(w[0])


def full_model(weights: np.ndarray, bias: float, columns: list[int]) -> Model:
    out = [0.0] * len(NAMES)
    for c, v in zip(columns, weights, strict=True):
        out[c] = float(v)
    return Model(tuple(out), bias)


def question_scores(rows: list[Row], model: Callable[[tuple[float, ...]], float]) -> list[float]:
    """A question is answered when one of its parts passes: its score is the best part's (1.0 for a part
    that is not scored, a list of sections, or when it was answered with no part judged; 0.0 when nothing
    passed the gate)."""
    return [max((model(p) if p else 1.0 for p in r.parts), default=1.0 if r.answered else 0.0) for r in rows]


def cross_validated(rows: list[Row], columns: list[int], folds: int) -> list[float]:
    """Each question's score from a model fitted without its fold (folds by question, fixed seed)."""
    order = np.random.default_rng(0).permutation(len(rows))
    fold = {int(i): k % folds for k, i in enumerate(order)}
    out = [0.0] * len(rows)
    for k in range(folds):
        train = [r for i, r in enumerate(rows) if fold[i] != k]
        w, b = fit_logistic(*design(train, columns))
        m = full_model(w, b, columns)
        for i, s in enumerate(question_scores(rows, m)):
            if fold[i] == k:
                out[i] = s
    return out


def at(rows: list[Row], scores: list[float], t: float) -> tuple[float, float, float]:
    """(unanswerable answered, answerable refused, lead accuracy) with threshold t."""
    answered = [r.answered and s >= t for r, s in zip(rows, scores, strict=True)]
    unans = [a for r, a in zip(rows, answered, strict=True) if r.unanswerable]
    ans = [a for r, a in zip(rows, answered, strict=True) if not r.unanswerable]
    good = sum((not a) if r.unanswerable else (a and r.lead) for r, a in zip(rows, answered, strict=True))
    return sum(unans) / max(1, len(unans)), sum(not a for a in ans) / max(1, len(ans)), good / max(1, len(rows))


def choose(rows: list[Row], scores: list[float], max_answered: float, max_refused: float) -> float:
    """The threshold with the best lead accuracy within both bounds. When none is, the bound on answerable
    questions refused holds (a refused answerable question is a user turned away; the issue's check target
    is the same), and among the thresholds within it the one that answers the fewest unanswerable
    questions, then the best lead. When not even that bound can be held (the gate and the extractor already
    refuse more), the one that refuses the fewest answerable questions."""
    points = {t: at(rows, scores, t) for t in STEPS}
    within = [t for t in STEPS if points[t][0] <= max_answered and points[t][1] <= max_refused]
    if within:
        return min(within, key=lambda t: (-points[t][2], t))
    held = [t for t in STEPS if points[t][1] <= max_refused]
    if held:
        return min(held, key=lambda t: (points[t][0], -points[t][2], t))
    return min(STEPS, key=lambda t: (points[t][1], -points[t][2], t))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sets(p)
    p.add_argument("--max-answered", type=float, default=0.10, help="share of unanswerable questions answered")
    p.add_argument("--max-refused", type=float, default=0.05, help="share of answerable questions refused")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (by question)")
    p.add_argument("--write", action="store_true", help=f"write the fitted model and threshold to {THRESHOLD_FILE}")
    p.add_argument("--cache", type=Path, help="answered rows are read from / saved to this file (refit without re-asking; "
                   "delete it when the answerer or the scorer changed)")
    args = p.parse_args(argv)
    rows: list[Row] = []
    if args.cache and args.cache.exists():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        for name, index_dir, questions in args.set:
            rows += collect(name, Path(index_dir), Path(questions))
        if args.cache:
            args.cache.write_bytes(pickle.dumps(rows))
    names = list(dict.fromkeys(r.name for r in rows))
    print(f"{len(rows)} questions, {sum(r.unanswerable for r in rows)} unanswerable, {sum(r.answered for r in rows)} "
          f"answered with the threshold off; the gate refused {sum(r.gated for r in rows)} answers that were lead-correct before it")
    floor = sum(not r.answered for r in rows if not r.unanswerable) / max(1, sum(not r.unanswerable for r in rows))
    print(f"answerable questions refused with the threshold off (gate + extractor): {floor:.3f}; no threshold refuses fewer")
    bounds = (args.max_answered, args.max_refused)
    print("features (cross-validated)          threshold  unans.answered  ans.refused  lead")
    for columns in [[i] for i in range(len(NAMES))] + [list(range(len(NAMES)))]:
        cv = cross_validated(rows, columns, args.folds)
        t = choose(rows, cv, *bounds)
        u, w, acc = at(rows, cv, t)
        print(f"{'+'.join(NAMES[c] for c in columns):35s} {t:9.2f}  {u:14.3f}  {w:11.3f}  {acc:.3f}")
    columns = list(range(len(NAMES)))
    cv = cross_validated(rows, columns, args.folds)
    print("threshold  unans.answered  ans.refused  lead   " + "  ".join(f"{n}(lead)" for n in names) + "   (all features, cross-validated)")
    for t in STEPS[::5]:
        u, w, acc = at(rows, cv, t)
        per = "  ".join(f"{at([r for r in rows if r.name == n], [s for r, s in zip(rows, cv, strict=True) if r.name == n], t)[2]:.3f}"
                        for n in names)
        print(f"{t:9.2f}  {u:14.3f}  {w:11.3f}  {acc:.3f}  {per}")
    best = choose(rows, cv, *bounds)
    u, w, acc = at(rows, cv, best)
    met = u <= args.max_answered and w <= args.max_refused
    weights, bias = fit_logistic(*design(rows, columns))
    model = full_model(weights, bias, columns)
    fu, fw, facc = at(rows, question_scores(rows, model), best)
    print(f"chosen {best:.2f}: cross-validated unanswerable answered {u:.3f} (≤ {args.max_answered}), answerable refused "
          f"{w:.3f} (≤ {args.max_refused}), lead {acc:.3f}; {'both bounds met' if met else 'bounds NOT both met: fewest unanswerable answered within the refused bound'}")
    print(f"fitted on all: weights {dict(zip(NAMES, np.round(weights, 4).tolist(), strict=True))}, bias {bias:.4f}; "
          f"at {best:.2f}: unanswerable answered {fu:.3f}, answerable refused {fw:.3f}, lead {facc:.3f}")
    if args.write:
        data = {
            "threshold": best,
            "weights": {n: round(v, 5) for n, v in zip(NAMES, model.weights, strict=True)},
            "bias": round(bias, 5),
            "model": "p = sigmoid(bias + sum weights[f] * f) over the lead evidence's features; refuse when p < threshold",
            "features": FEATURES,
            "label": "the question is answerable and the answer's lead holds the gold (threshold off, gate on)",
            "fitted_on": [f"{n}: {q} ({sum(r.name == n for r in rows)} questions)" for n, _, q in args.set],
            "criterion": f"unanswerable answered <= {args.max_answered}, answerable refused <= {args.max_refused}, then best lead; "
                         f"when not both reachable: answerable refused <= {args.max_refused}, fewest unanswerable answered, then best lead",
            "cross_validated": {"folds": args.folds, "unanswerable_answered": round(u, 4), "answerable_refused": round(w, 4),
                                "lead": round(acc, 4), "bounds_met": met},
            "command": "python -m bench.fit --set NAME INDEX_DIR QUESTIONS ... --write (docs/evaluation.md)",
            "date": dt.date.today().isoformat(),
        }
        THRESHOLD_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written: {THRESHOLD_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
