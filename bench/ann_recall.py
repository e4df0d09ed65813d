"""How close Chroma's HNSW comes to exact search on our vectors: top-50 overlap with exact cosine, and
vector query latency, for Chroma's default graph and for ours, on the same corpus and questions.

    .venv/bin/python -m bench.ann_recall --corpus ../shared/eval/external/corpus.jsonl \
        --questions ../shared/eval/external/questions_dev.jsonl
    .venv/bin/python -m bench.ann_recall --synthetic 100000     # generated corpus and questions
    .venv/bin/python -m bench.ann_recall --index-dir /tmp/ev_rgb --questions ../shared/eval/external/questions_dev.jsonl

With --index-dir it only reads a built index: how many of the exact top k its Chroma graph finds (which
is what retrieval would lose or gain by searching that index exactly, app/store.py EXACT_MAX_CHUNKS).

Hashed character bigrams are nearly orthogonal to one another, which makes HNSW graphs hard to navigate;
this is the measurement behind the HNSW settings in app/chroma.py. Retrieval itself does not depend on
the graph's exactness (fusion re-ranks candidates by exact cosine), but what the graph misses never
becomes a candidate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import app.chroma
from app.embed import hash_vectors
from app.query import analyze
from app.settings import Settings
from app.store import Store
from bench.common import median, percentile, synthetic_questions, write_synthetic_jsonl
from ingest.index import run_ingest

CHROMA_DEFAULT = {"space": "cosine"}  # M 16, ef_construction 100, ef_search 100


def measure(corpus: list[Path], questions: list[str], hnsw: dict[str, object], k: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="kbqa-ann-"))
    try:
        app.chroma.HNSW = hnsw
        settings = Settings(index_dir=workdir)
        started = time.perf_counter()
        run_ingest(corpus, settings)
        build_s = time.perf_counter() - started
        store = Store.open(settings)
        matrix = hash_vectors([c.index_text for c in store.chunks], settings.embed_dim)
        overlap, latency = [], []
        for q in questions:
            text = analyze(q).resolved
            t = time.perf_counter()
            found = {p for p, _ in store.vector_search(text, k)}
            latency.append((time.perf_counter() - t) * 1000)
            exact = set(np.argsort(-(matrix @ hash_vectors([text], settings.embed_dim)[0]))[:k].tolist())
            overlap.append(len(found & exact) / min(k, len(store.chunks)))
        return {"chunks": len(store.chunks), "build_s": build_s, "overlap": float(np.mean(overlap)),
                "worst": float(min(overlap)), "p50_ms": median(latency), "p95_ms": percentile(latency, 0.95)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def graph_overlap(index_dir: Path, questions: list[str], k: int) -> dict[str, float]:
    """Top-k overlap of a built index's Chroma graph with exact cosine over the same chunks (read only)."""
    store = Store.open(Settings(index_dir=index_dir))
    matrix = hash_vectors([c.index_text for c in store.chunks], store.settings.embed_dim)
    k = min(k, len(store.chunks))
    overlap, same = [], 0
    for q in questions:
        vector = store.query_vector(analyze(q).resolved)
        got = store.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        found = {store.by_id[cid] for cid in got["ids"][0] if cid in store.by_id}
        exact = set(np.argsort(-(matrix @ vector), kind="stable")[:k].tolist())
        overlap.append(len(found & exact) / k)
        same += found == exact
    return {"chunks": len(store.chunks), "overlap": float(np.mean(overlap)), "worst": float(min(overlap)),
            "same": same / len(questions)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", type=Path, action="append", default=[], help="a file or folder to ingest (repeatable)")
    p.add_argument("--questions", type=Path, help="JSONL with a 'question' field per line")
    p.add_argument("--synthetic", type=int, default=0, help="a generated corpus of N chunks, with 200 generated questions")
    p.add_argument("-k", type=int, default=50, help="candidates taken from the vector index (retrieval uses 50)")
    p.add_argument("--index-dir", type=Path, help="measure the graph of this built index (read only), with --questions")
    args = p.parse_args()
    corpus = list(args.corpus)
    questions = []
    if args.questions:
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    if args.index_dir:
        if not questions:
            p.error("--index-dir needs --questions")
        r = graph_overlap(args.index_dir, questions, args.k)
        print(f"{r['chunks']} chunks, {len(questions)} questions: top-{args.k} overlap {r['overlap']:.3f}, "
              f"worst {r['worst']:.2f}, same set {r['same']:.3f}")
        return
    if args.synthetic:
        tmp = Path(tempfile.mkdtemp(prefix="kbqa-syn-"))
        corpus.append(write_synthetic_jsonl(tmp / "synthetic.jsonl", args.synthetic))
        questions = questions or synthetic_questions(200)
    if not corpus or not questions:
        p.error("give --corpus and --questions, or --synthetic N")
    ours = dict(app.chroma.HNSW)
    print(f"{'HNSW settings':60} {'chunks':>7} {'build s':>8} {'top-k overlap':>14} {'worst':>6} {'p50 ms':>7} {'p95 ms':>7}")
    for name, hnsw in (("Chroma default", CHROMA_DEFAULT), ("ours", ours)):
        r = measure(corpus, questions, hnsw, args.k)
        label = f"{name} {json.dumps(hnsw)}"
        print(f"{label[:60]:60} {r['chunks']:7.0f} {r['build_s']:8.2f} {r['overlap']:14.3f} {r['worst']:6.2f} "
              f"{r['p50_ms']:7.2f} {r['p95_ms']:7.2f}")


if __name__ == "__main__":
    main()
