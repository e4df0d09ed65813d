"""Fit the candidate scorer (app/scorer.py) on fit files; print cross-validated and check-file figures.

    python -m bench.fit_scorer --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        --check "ncp check" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_check.jsonl [--write]

Every question is planned and retrieved as the answerer does (a split question part by part); the
extractor's candidates of its hits are listed with their named features. A candidate is positive when its
words contain every required string of the gold (one part of a split question: any of them). The model is a
logistic regression (L2, Newton steps) on standardised features. Figures, per set: top-1 = the share of
questions with a positive candidate whose best-ranked candidate is positive, for the hand-set ranking and for
the model — cross-validated by question (k folds; no question's candidates in its own training fold) on
the fit sets, and with the model fitted on all fit data on the check sets. Check sets are reported only
(docs/evaluation.md: tuning discipline); `--write` ships the model fitted on all fit sets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.answer import Assistant, own_words
from app.candidates import Candidate
from app.evaluate import alternatives, load_questions
from app.query import Query, analyze
from app.rank import Extractor
from app.retrieve import retrieve
from app.scorer import NAMES, SCORER_FILE, Scorer
from app.settings import Settings, from_env
from app.store import Store
from bench.common import add_sets


@dataclass
class Group:
    """The candidates of one question (or one part of a split question)."""

    set_name: str
    question: int  # index of the question, for folds by question
    x: np.ndarray  # candidates x features
    y: np.ndarray  # 1 when the candidate holds the gold
    hand: np.ndarray  # the hand-set score


def collect(name: str, index_dir: Path, questions: Path, offset: int) -> list[Group]:
    settings = from_env(index_dir=index_dir)
    store = Assistant(settings).store
    out = []
    for n, _, _, rows, holds in ranked_parts(store, settings, questions, rank=False, tag_all=True):
        if not rows:
            continue
        x = np.array([x for _, x in rows], dtype=float)
        out.append(Group(name, offset + n, x, np.array(holds, dtype=float), hand_set(x)))
    return out


def ranked_parts(store: Store, settings: Settings, questions: Path, rank: bool = True, tag_all: bool = False
                 ) -> Iterator[tuple[int, dict[str, Any], Query, list[tuple[Candidate, list[float]]], list[bool]]]:
    """Every answerable question planned, retrieved and ranked as the answerer does, a split question part by
    part: (question index, gold, part, candidates with their features, whether each holds the gold — every
    required string, or for one part of a split question any of them)."""
    for n, gold in enumerate(load_questions(questions)):
        if gold.get("type") == "unanswerable":
            continue
        parts = alternatives(gold)
        plan = analyze(gold["question"], settings.question_date(), store.idf)
        texts = [f.text for f in plan.facets]
        need = any if plan.facets else all
        for facet in plan.facets or (plan,):
            about = own_words(facet.text, [t for t in texts if t != facet.text]) if plan.facets else ()
            hits = retrieve(store, facet, settings.top_k)
            rows = Extractor(store, facet, about, hits, rank=rank).scored(hits, tag_all=tag_all)
            found = [_words(c).lower() for c, _ in rows]
            yield n, gold, facet, rows, [need(any(o.lower() in w for o in p) for p in parts) for w in found]


def hand_set(x: np.ndarray) -> np.ndarray:
    """The ranking the extractor used before this scorer (its hand-set weights, read back from the
    features), kept here only as the column the fitted model is compared with."""
    f = {n: x[:, i] for i, n in enumerate(NAMES)}
    coverage = f["coverage"] * np.where(f["value_missing"] > 0, 0.8, 1.0)
    return (coverage + 0.3 * f["type_fit"] + f["extra_values"] + 0.15 * f["year_match"] + 0.1 * f["inv_rank"]
            - 0.3 * f["asking"] + 0.3 * f["name_found"])


def _words(c: object) -> str:
    span = getattr(c, "span", None)
    return (span.lead + span.body) if span is not None and span.lead else str(getattr(c, "resolved", ""))


def fit(groups: list[Group], l2: float, objective: str = "choice") -> Scorer:
    """L2-regularised logistic regression by Newton's method on standardised features. `choice` (the
    default) is the conditional logit: a softmax over each question's candidates, the target spread over
    its positives, so the weights learn which candidate of a question wins (what the extractor needs),
    not how likely a candidate of any question is to hold an answer; `pointwise` is the plain one."""
    x, y = stack(groups)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[0] = 0.0
    bounds = np.cumsum([0] + [len(g.y) for g in groups])
    use = [(a, b) for a, b, g in zip(bounds[:-1], bounds[1:], groups, strict=True) if g.y.any()]
    for _ in range(50):
        if objective == "pointwise":
            p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
            grad = z.T @ (p - y) + reg * w
            hess = (z * (p * (1 - p))[:, None]).T @ z
        else:
            grad = reg * w
            hess = np.zeros((len(w), len(w)))
            s = z @ w
            for a, b in use:
                zg, e = z[a:b], np.exp(s[a:b] - s[a:b].max())
                p = e / e.sum()
                t = y[a:b] / y[a:b].sum()
                grad += zg.T @ (p - t)
                mu = zg.T @ p
                hess += (zg * p[:, None]).T @ zg - np.outer(mu, mu)
        hess += np.diag(reg) + 1e-6 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    if objective != "pointwise":  # the softmax leaves the bias free: set it so the mean candidate scores the base rate
        base = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        w[0] = float(np.log(base / (1 - base)))
    return Scorer(tuple(float(v) for v in w[1:]), float(w[0]), tuple(float(v) for v in mean), tuple(float(v) for v in scale))


def top1(groups: list[Group], rank: list[np.ndarray]) -> tuple[float, int]:
    """Share of groups with a positive candidate whose best-ranked candidate is positive."""
    hit = [g.y[int(np.argmax(r))] for g, r in zip(groups, rank, strict=True) if g.y.any()]
    return (float(np.mean(hit)) if hit else 0.0), len(hit)


def model_scores(m: Scorer, groups: list[Group]) -> list[np.ndarray]:
    w, mean, scale = np.array(m.weights), np.array(m.mean), np.array(m.scale)
    # a stable sort keeps the extractor's order among equal scores, as its sort does
    return [m.bias + ((g.x - mean) / scale) @ w for g in groups]


def stack(groups: list[Group]) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([g.x for g in groups]), np.concatenate([g.y for g in groups])


def cached(cache: Path | None, sets: list[list[str]], checks: list[list[str]]) -> tuple[list[Group], list[Group]]:
    """The fit and check groups, from `cache` when it was written for the same sets and features (collecting
    them plans, retrieves and extracts every question: minutes), else collected and written to it."""
    key = json.dumps([sets, checks, list(NAMES)], ensure_ascii=False)
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            if str(data["key"]) == key:
                groups = [Group(str(n), int(q), data[f"x{i}"], data[f"y{i}"], hand_set(data[f"x{i}"]))
                          for i, (n, q) in enumerate(zip(data["names"], data["questions"], strict=True))]
                fit_n = int(data["fit_n"])
                return groups[:fit_n], groups[fit_n:]
        print(f"{cache}: written for other sets or features; collecting again")
    fit_groups: list[Group] = []
    for k, (name, index_dir, questions) in enumerate(sets):
        fit_groups += collect(name, Path(index_dir), Path(questions), k * 100_000)
    check_groups: list[Group] = []
    for k, (name, index_dir, questions) in enumerate(checks):
        check_groups += collect(name, Path(index_dir), Path(questions), (k + 50) * 100_000)
    if cache is not None:
        groups = fit_groups + check_groups
        arrays = {f"x{i}": g.x for i, g in enumerate(groups)} | {f"y{i}": g.y for i, g in enumerate(groups)}
        np.savez_compressed(cache, key=np.array(key), fit_n=np.array(len(fit_groups)),
                            names=np.array([g.set_name for g in groups]), questions=np.array([g.question for g in groups]),
                            **arrays)
    return fit_groups, check_groups


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_sets(p, help="a fit set (fitted on)")
    p.add_argument("--check", nargs=3, action="append", default=[], metavar=("NAME", "INDEX_DIR", "QUESTIONS"),
                   help="a check set (reported only)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--l2", type=float, default=1.0)
    p.add_argument("--objective", choices=["choice", "pointwise"], default="choice")
    p.add_argument("--write", action="store_true", help=f"write the model fitted on all fit sets to {SCORER_FILE}")
    p.add_argument("--cache", type=Path, help="an .npz of the candidates' features: read when it exists (same sets), "
                   "else written after collecting, so a refit or an experiment takes seconds")
    args = p.parse_args(argv)
    fit_groups, check_groups = cached(args.cache, args.set, args.check)
    qids = sorted({g.question for g in fit_groups})
    fold_of = {q: i % args.folds for i, q in enumerate(np.random.default_rng(0).permutation(qids))}
    cv: list[np.ndarray] = [np.zeros(0)] * len(fit_groups)
    for f in range(args.folds):
        train = [g for g in fit_groups if fold_of[g.question] != f]
        m = fit(train, args.l2, args.objective)
        for i, g in enumerate(fit_groups):
            if fold_of[g.question] == f:
                cv[i] = model_scores(m, [g])[0]
    final = fit(fit_groups, args.l2, args.objective)
    held = model_scores(final, check_groups)
    print(f"{len(fit_groups)} fit groups ({sum(len(g.y) for g in fit_groups)} candidates), "
          f"{len(check_groups)} check groups; top-1 = best-ranked candidate holds the gold")
    print("| set | split | groups with a positive | top-1 hand-set | top-1 model |")
    print("|---|---|---|---|---|")
    figures = {}
    for split, groups, scores, specs in (("fit (CV)", fit_groups, cv, args.set), ("check", check_groups, held, args.check)):
        for name, _, _ in [*specs, ("all", "", "")]:
            idx = [i for i, g in enumerate(groups) if name in ("all", g.set_name)]
            gs = [groups[i] for i in idx]
            hand, n = top1(gs, [g.hand for g in gs])
            model, _ = top1(gs, [scores[i] for i in idx])
            print(f"| {name} | {split} | {n} | {hand:.3f} | {model:.3f} |")
            figures[f"{name} ({split})"] = {"questions": n, "top1_hand_set": round(hand, 4), "top1_model": round(model, 4)}
    print("weights (standardised features):")
    for n, w in sorted(zip(NAMES, final.weights, strict=True), key=lambda r: -abs(r[1])):
        print(f"  {n:20s} {w:+.3f}")
    if args.write:
        shipped = Scorer(final.weights, final.bias, final.mean, final.scale,
                         tuple(f"{n}: {q}" for n, _, q in args.set))
        SCORER_FILE.write_text(shipped.to_json({"label": "a candidate holds every required string of the gold",
                                                "l2": args.l2, "objective": args.objective, "top1": figures, "date": dt.date.today().isoformat()}), encoding="utf-8")
        print(f"written: {SCORER_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
