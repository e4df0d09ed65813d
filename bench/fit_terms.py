"""Fit the question-term factors and the fusion weights (app/data/term_weights.json) on fit files.

    python -m bench.fit_terms --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        --set "RGB dev" /tmp/ev_rgb ../shared/eval/external/questions_dev.jsonl \
        --check "ncp check" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_check.jsonl [--write]

What is fitted: one factor per part-of-speech / name class of a question token (its BM25 share is multiplied
by it), the factor of a token a synonym brought in, that of a piece of a longer question token, the share of
the keyword score that is term coverage (app.retrieve.keyword_scores), and the reciprocal-rank fusion's vector weight and k
(BM25's weight stays 1 and the noun factor stays as shipped: ranks do not change when every weight is scaled).
The objective is answer recall@5 — every required string of the gold in the top 5 passages, as `app eval`
counts it — plus MRR_WEIGHT x the reciprocal rank of the first passage that holds all of them (the extractor
reads the first passage first). The search is coordinate ascent over a grid per parameter, from the shipped
factors.

Retrieval is replayed from cached arrays, as app.retrieve does it: every chunk's weighted BM25 score (the
same postings as `weighted_bm25`), the top 50, exact cosine over those and the HNSW neighbours, fusion by
`app.retrieve.fuse`, near-copies behind distinct hits, a split question's parts interleaved. Left out: the
repealed-document reordering (app.status), which needs the policy status of documents; figures therefore
differ slightly from `app eval`'s answer recall@5, which stays the figure to report.

Figures, per set: the unweighted retrieval (every factor 1, fusion 0.5 / 60: the code before this fit), the
shipped factors, and the fitted ones — on the fit sets cross-validated by question (k folds: a question is
scored by factors fitted without it), on the check sets (report only, docs/evaluation.md) with the factors
fitted on all fit questions. `--write` stores those with what they were fitted on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.embed import HashingEmbedding, hash_vectors
from app.evaluate import alternatives, load_questions
from app.query import Query, analyze
from app.retrieve import CANDIDATES, COPY_DIM, NEAR_DUPLICATE, blend_coverage, fuse, top_scores
from app.settings import from_env
from app.store import Store
from app.terms import TermWeights, term_weights
from app.text import DATA_DIR
from bench.common import add_sets

TOP_K = 5
MRR_WEIGHT = 0.1  # recall@5 decides; the first gold passage's rank breaks its ties
GRIDS = {
    "factor": [0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0],
    "vector": [0.0, 0.15, 0.3, 0.5, 0.7, 1.0, 1.4, 2.0],
    "rrf_k": [5.0, 10.0, 20.0, 40.0, 60.0, 90.0, 150.0],
    "coverage": [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9],
}
ANCHOR = "noun"  # the class whose factor stays: it fixes the scale


@dataclass
class Sub:
    """One retrieval of a question (the whole plan, or one part of a split question) as cached arrays."""

    rows: list[tuple[str, bool, bool]]  # (class, brought in by a synonym, piece of a longer token) of each row
    bm25: np.ndarray  # rows x chunks: BM25 share of that row's tokens
    held: np.ndarray  # rows x chunks: idf of that row's tokens the chunk holds (term coverage, keyword_scores)
    idf_total: np.ndarray  # rows: idf of that row's tokens the index knows
    distance: np.ndarray  # cosine distance of every chunk to the question
    approximate: list[int]  # the HNSW neighbours the store returned


@dataclass
class Item:
    set_name: str
    question: int
    whole: Sub
    facets: list[Sub]
    holds: np.ndarray  # parts x chunks: the chunk holds one of that part's strings


@dataclass
class Corpus:
    copy_vectors: np.ndarray  # chunks x COPY_DIM, for the near-copy fold
    is_record: np.ndarray


def class_of(tag: str, classes: dict[str, list[str]]) -> str:
    return next((name for name, tags in classes.items() if tag in tags), "default")


def load_set(name: str, index_dir: Path, questions: Path, offset: int,
             classes: dict[str, list[str]]) -> tuple[list[Item], Corpus]:
    settings = from_env(index_dir=index_dir)
    store = Store.open(settings)
    if store.bm25 is None or not isinstance(store.embedder, HashingEmbedding):
        raise SystemExit(f"{index_dir}：需要带 BM25 与默认哈希向量的索引。")
    stored = hash_vectors([c.index_text for c in store.chunks], store.embedder.dim)
    stored /= np.where((n := np.linalg.norm(stored, axis=1, keepdims=True)) > 0, n, 1.0)
    corpus = Corpus(hash_vectors([c.text for c in store.chunks], COPY_DIM),
                    np.array([c.record is not None for c in store.chunks]))
    texts = [c.text.lower() for c in store.chunks]
    items = []
    for n, gold in enumerate(load_questions(questions)):
        parts = alternatives(gold)
        if gold.get("type") == "unanswerable" or not parts:
            continue
        plan = analyze(gold["question"], settings.question_date(), store.idf)
        holds = np.array([[any(o.lower() in t for o in part) for t in texts] for part in parts])
        whole = _sub(store, plan, stored, classes)
        items.append(Item(name, offset + n, whole, [_sub(store, f, stored, classes) for f in plan.facets], holds))
    return items, corpus


def _sub(store: Store, plan: Query, stored: np.ndarray, classes: dict[str, list[str]]) -> Sub:
    assert store.bm25 is not None
    data, indices, indptr = (store.bm25.scores[k] for k in ("data", "indices", "indptr"))
    rows: dict[tuple[str, bool, bool], np.ndarray] = {}
    held: dict[tuple[str, bool, bool], np.ndarray] = {}
    idf_total: dict[tuple[str, bool, bool], float] = {}
    for key in plan.keys:
        if (tid := store.bm25.vocab_dict.get(key.token)) is None:
            continue
        name = (class_of(key.tag, classes), key.synonym, key.part)
        row = rows.setdefault(name, np.zeros(len(store.chunks), dtype=np.float32))
        row[indices[indptr[tid]:indptr[tid + 1]]] += data[indptr[tid]:indptr[tid + 1]]
        idf = store.idf(key.token)
        held.setdefault(name, np.zeros(len(store.chunks), dtype=np.float32))[indices[indptr[tid]:indptr[tid + 1]]] += idf
        idf_total[name] = idf_total.get(name, 0.0) + idf
    vector = store.query_vector(plan.resolved)
    vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    approximate = [p for p, _ in store.vector_search(plan.resolved, CANDIDATES, vector)]
    empty = np.zeros((0, len(store.chunks)), dtype=np.float32)
    matrix = np.stack(list(rows.values())) if rows else empty
    holding = np.stack([held[r] for r in rows]) if rows else empty
    totals = np.array([idf_total[r] for r in rows], dtype=np.float32)
    return Sub(list(rows), matrix, holding, totals, 1.0 - stored @ vector, approximate)


def ranked(sub: Sub, corpus: Corpus, w: TermWeights, top_k: int) -> list[int]:
    """The chunk positions app.retrieve._retrieve_one would return (without the repealed-document move)."""
    pool = max(CANDIDATES, top_k * 5)
    if len(sub.rows):
        factors = np.array([w.factor_of_class(c) * (w.synonym if s else 1.0) * (w.part if p else 1.0) for c, s, p in sub.rows],
                           dtype=np.float32)
        keyword = top_scores(blend(factors, sub, w.coverage), pool)
    else:
        keyword = []
    union = np.array(list(dict.fromkeys([p for p, _ in keyword] + sub.approximate)), dtype=np.int64)
    dist = sub.distance[union]
    order = np.lexsort((union, dist))[:pool]
    semantic = list(zip(union[order].tolist(), dist[order].tolist(), strict=True))
    fused = [p for p, _ in fuse(keyword, semantic, w)][: top_k * 4]
    return _distinct_first(fused, corpus, top_k)


def blend(factors: np.ndarray, sub: Sub, coverage: float) -> np.ndarray:
    """app.retrieve.keyword_scores on the cached rows: BM25 scaled to the best chunk's, blended with coverage."""
    scores = factors @ sub.bm25
    if coverage <= 0:
        return scores
    return blend_coverage(scores, factors @ sub.held, float(factors @ sub.idf_total), coverage)


def _distinct_first(positions: list[int], corpus: Corpus, top_k: int) -> list[int]:
    """app.retrieve._distinct_first on cached vectors, stopping once the top k are known."""
    if len(positions) < 2:
        return positions
    vectors = corpus.copy_vectors[positions]
    sims = (vectors @ vectors.T).tolist()
    records = corpus.is_record[positions].tolist()
    distinct: list[int] = []
    copies: list[int] = []
    for i in range(len(positions)):
        copy = not records[i] and distinct and max(sims[i][j] for j in distinct) >= NEAR_DUPLICATE
        (copies if copy else distinct).append(i)
        if len(distinct) == top_k:
            break
    else:
        return [positions[i] for i in distinct + copies]
    return [positions[i] for i in distinct]


def top5(item: Item, corpus: Corpus, w: TermWeights) -> list[int]:
    if not item.facets:
        return ranked(item.whole, corpus, w, TOP_K)
    lists = [ranked(f, corpus, w, TOP_K * 2) for f in item.facets]
    merged: list[int] = []
    while lists and len(merged) < TOP_K:  # as app.retrieve.retrieve: each part adds its next unseen hit per round
        for hits in list(lists):
            hit = next((h for h in hits if h not in merged), None)
            if hit is None:
                lists.remove(hits)
            elif len(merged) < TOP_K:
                merged.append(hit)
    for p in ranked(item.whole, corpus, w, TOP_K):
        if len(merged) < TOP_K and p not in merged:
            merged.append(p)
    return merged


def figures(items: list[Item], corpora: dict[str, Corpus], w: TermWeights) -> tuple[float, float]:
    """(answer recall@5, MRR of the first passage holding every part) over the items."""
    if not items:
        return 0.0, 0.0
    recall = mrr = 0.0
    for item in items:
        top = top5(item, corpora[item.set_name], w)
        held = item.holds[:, top]
        recall += float(held.any(axis=1).all())
        first = next((r for r in range(len(top)) if held[:, r].all()), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
    return recall / len(items), mrr / len(items)


def objective(items: list[Item], corpora: dict[str, Corpus], w: TermWeights) -> float:
    recall, mrr = figures(items, corpora, w)
    return recall + MRR_WEIGHT * mrr


def fit(items: list[Item], corpora: dict[str, Corpus], start: TermWeights, passes: int) -> TermWeights:
    """Coordinate ascent: each parameter in turn takes the grid value that scores best; the first pass tries
    the whole grid, later ones the grid values next to the current one, until a pass changes nothing."""
    best = start
    score = objective(items, corpora, best)
    params = [*(f"class:{c}" for c in start.classes if c != ANCHOR), "default", "synonym", "part", "vector", "rrf_k", "coverage"]
    for n in range(passes):
        changed = False
        for param in params:
            grid = GRIDS[param if param in ("vector", "rrf_k", "coverage") else "factor"]
            if n > 0:
                here = min(range(len(grid)), key=lambda i: abs(grid[i] - value_of(best, param)))
                grid = grid[max(0, here - 1): here + 2]
            for value in grid:
                trial = with_param(best, param, value)
                if (s := objective(items, corpora, trial)) > score + 1e-9:
                    best, score, changed = trial, s, True
        if not changed:
            break
    return best


def value_of(w: TermWeights, param: str) -> float:
    return w.factor_of_class(param.split(":", 1)[1]) if param.startswith("class:") else float(getattr(w, param))


def with_param(w: TermWeights, param: str, value: float) -> TermWeights:
    if param.startswith("class:"):
        name = param.split(":", 1)[1]
        return replace(w, classes={**w.classes, name: value})
    return replace(w, **{param: value})


_JOB: tuple[list[Item], dict[str, Corpus], TermWeights, int, dict[int, int]] | None = None


def _fit_fold(k: int) -> TermWeights:
    assert _JOB is not None
    items, corpora, start, passes, fold_of = _JOB
    w = fit([i for i in items if fold_of[i.question] != k], corpora, start, passes)
    print(f"fold {k + 1 if k >= 0 else 'all'} fitted", file=sys.stderr, flush=True)
    return w


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sets(p)
    p.add_argument("--check", nargs=3, action="append", default=[], metavar=("NAME", "INDEX_DIR", "QUESTIONS"))
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--jobs", type=int, default=2, help="folds fitted at once (processes)")
    p.add_argument("--write", action="store_true", help="store the factors fitted on all fit sets")
    args = p.parse_args(argv)
    shipped = term_weights()
    unweighted = replace(shipped, classes={c: 1.0 for c in shipped.classes}, default=1.0, synonym=1.0, part=1.0, bm25=1.0,
                         vector=0.5, rrf_k=60.0, coverage=0.0)
    corpora: dict[str, Corpus] = {}
    fit_items: list[Item] = []
    for name, index_dir, questions in args.set:
        items, corpora[name] = load_set(name, Path(index_dir), Path(questions), len(fit_items) * 10_000, shipped.class_tags)
        fit_items += items
        print(f"{name}: {len(items)} answerable questions", file=sys.stderr, flush=True)
    ids = sorted({i.question for i in fit_items})
    fold_of = {q: n % args.folds for n, q in enumerate(np.random.default_rng(7).permutation(ids).tolist())}
    scored: list[tuple[Item, TermWeights]] = []
    global _JOB  # the forked workers read the loaded arrays from here instead of having them pickled
    _JOB = (fit_items, corpora, shipped, args.passes, fold_of)
    with multiprocessing.get_context("fork").Pool(args.jobs) as workers:
        # one fit per fold (trained without it), and the last one on all fit questions
        fitted = workers.map(_fit_fold, [*range(args.folds), -1])
    for k, w in enumerate(fitted[:-1]):
        scored += [(i, w) for i in fit_items if fold_of[i.question] == k]
    final = fitted[-1]
    print("| set | n | recall@5 unweighted | shipped | fitted (CV) | MRR unweighted | shipped | fitted (CV) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, *_ in args.set:
        items = [i for i in fit_items if i.set_name == name]
        cv = [figures([i], corpora, w) for i, w in scored if i.set_name == name]
        base, ship = figures(items, corpora, unweighted), figures(items, corpora, shipped)
        cv_r, cv_m = float(np.mean([r for r, _ in cv])), float(np.mean([m for _, m in cv]))
        print(f"| {name} (fit, CV) | {len(items)} | {base[0]:.3f} | {ship[0]:.3f} | {cv_r:.3f} | {base[1]:.3f} | {ship[1]:.3f} | {cv_m:.3f} |")
    result = {name: figures([i for i in fit_items if i.set_name == name], corpora, final) for name, *_ in args.set}
    for name, index_dir, questions in args.check:
        items, corpus = load_set(name, Path(index_dir), Path(questions), 0, shipped.class_tags)
        corpora[name] = corpus
        base, ship, got = (figures(items, corpora, w) for w in (unweighted, shipped, final))
        print(f"| {name} (check) | {len(items)} | {base[0]:.3f} | {ship[0]:.3f} | {got[0]:.3f} | {base[1]:.3f} | {ship[1]:.3f} | {got[1]:.3f} |")
    print("fitted on all fit sets:", json.dumps(final.to_json()["classes"], ensure_ascii=False),
          f"default {final.default} synonym {final.synonym} part {final.part} vector {final.vector} rrf_k {final.rrf_k} "
          f"coverage {final.coverage}")
    if args.write:
        raw = json.loads((DATA_DIR / "term_weights.json").read_text(encoding="utf-8"))
        raw.update(final.to_json())
        raw["fitted_on"] = {
            "by": "python -m bench.fit_terms", "date": dt.date.today().isoformat(), "commit": _head(),
            "objective": f"answer recall@{TOP_K} + {MRR_WEIGHT} x MRR of the first passage holding the gold",
            "sets": [{"name": n, "index": i, "questions": q,
                      "recall@5": round(result[n][0], 4), "mrr": round(result[n][1], 4)} for n, i, q in args.set],
        }
        (DATA_DIR / "term_weights.json").write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written to {DATA_DIR / 'term_weights.json'}")
    return 0


def _head() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
