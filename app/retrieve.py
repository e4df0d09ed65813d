"""question -> list[Hit]: BM25 (bm25s over jieba tokens) and Chroma vectors, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np

from app.embed import HashingEmbedding
from app.query import Query
from app.schema import Hit
from app.status import in_force_first
from app.store import Store
from app.terms import Key, TermWeights, term_weights

CANDIDATES = 50
# Two hits whose texts share this much (cosine of hashed character bigrams) are the same story copied
# by several sites or pages: the copy waits behind every distinct hit. RGB recall@5 +1 to +3 anywhere
# from 0.85 down to 0.6; 0.8 only folds what a reader would call the same text.
NEAR_DUPLICATE = 0.8
COPY_DIM = 256  # hashed-bigram width for that comparison, whatever embedding the index uses
Ranked = dict[tuple[int, int], tuple[Query, list[tuple[int, float]]]]  # retrieve's `ranked`


def retrieve(store: Store, query: Query, top_k: int, kinds: set[str] | None = None, year: str = "",
             ranked: Ranked | None = None) -> list[Hit]:
    """Hybrid hits for the question plan; a question about two things ('A和B分别…') also retrieves for each
    of the plan's facets (split once, by `analyze`), and the lists are interleaved so both parts reach the
    top k. `ranked`, given by the caller for one question's passes, keeps each (sub-)question's fused
    ranking: a two-part question is retrieved part by part, then (when both parts cite one passage) whole,
    and the whole question's retrieval ranks the same parts again."""
    if not query.facets:
        return _retrieve_one(store, query, top_k, kinds, year, ranked)
    lists = [iter(_retrieve_one(store, facet, top_k * 2, kinds, year, ranked)) for facet in query.facets]
    merged: dict[str, Hit] = {}
    while lists and len(merged) < top_k:
        for hits in list(lists):  # each part adds one hit it has not seen yet per round
            hit = next((h for h in hits if h.chunk.id not in merged), None)
            if hit is None:
                lists.remove(hits)
            elif len(merged) < top_k:
                merged[hit.chunk.id] = hit
    if len(merged) < top_k:  # the parts ran dry: the whole question fills the rest
        for hit in _retrieve_one(store, query, top_k, kinds, year, ranked):
            merged.setdefault(hit.chunk.id, hit)
    return [Hit(h.chunk, h.score, i) for i, h in enumerate(list(merged.values())[:top_k], start=1)]


def _retrieve_one(store: Store, query: Query, top_k: int, kinds: set[str] | None, year: str,
                  ranked: Ranked | None = None) -> list[Hit]:
    """Top-k fused hits. `kinds` keeps only those document kinds; `year` keeps chunks that speak of it
    (chunks with no year at all are kept: they may inherit it from their document). `ranked`: see retrieve."""
    pool = max(CANDIDATES, top_k * 5)
    kept = ranked.get((id(query), pool)) if ranked is not None else None
    if kept is None or kept[0] is not query:  # by identity: the memo holds the query, so its id stays its own
        kept = (query, _fused(store, query, pool))
        if ranked is not None:
            ranked[(id(query), pool)] = kept
    hits: list[Hit] = []
    for pos, score in kept[1]:
        chunk = store.chunks[pos]
        if kinds and chunk.kind not in kinds:
            continue
        if year and chunk.periods and year not in chunk.periods:
            continue
        hits.append(Hit(chunk=chunk, score=score, rank=len(hits) + 1))
        if len(hits) == top_k * 4:
            break
    return _distinct_first(store, in_force_first(store, hits, query.text, query.today))[:top_k]


def _fused(store: Store, query: Query, pool: int) -> list[tuple[int, float]]:
    """(chunk position, fused score) of the `pool` best by keywords and by vectors, best first."""
    weights = term_weights()
    if not isinstance(store.embedder, HashingEmbedding):
        weights = replace(weights, vector=weights.vector_model)
    keyword = top_scores(keyword_scores(store, query.keys, weights), pool)
    semantic: list[tuple[int, float]] = []
    if weights.vector > 0:  # the fitted weight of the hashing embedding's ranks is 0: no vector query then
        vector = store.query_vector(query.resolved)
        approximate = store.vector_search(query.resolved, pool, vector)
        # Vector ranks come from exact cosine over both candidate lists, so the fusion does not depend on
        # which neighbours this build of the HNSW graph happened to find first.
        exact = store.exact_distances(vector, list(dict.fromkeys([p for p, _ in keyword] + [p for p, _ in approximate])))
        semantic = sorted(exact.items(), key=lambda x: (x[1], x[0]))[:pool]
    return fuse(keyword, semantic, weights)


def weighted_bm25(store: Store, keys: Sequence[Key], weights: TermWeights) -> np.ndarray:
    """BM25 score of every chunk, each question token's share weighed by its part-of-speech factor
    (a particle or a pronoun matching says little about the passage; a place name says much). Zeros
    when the index has no BM25 part or none of the tokens."""
    scores = np.zeros(len(store.chunks) if store.bm25 is None else int(store.bm25.scores["num_docs"]), dtype=np.float32)
    for _, w, rows, data in _postings(store, keys, weights):
        scores[rows] += w * data  # a token's postings name each chunk once
    return scores


def keyword_scores(store: Store, keys: Sequence[Key], weights: TermWeights) -> np.ndarray:
    """The keyword score of every chunk: its weighted BM25 score (scaled to the best chunk's) blended with
    its term coverage, the share of the question's weight (factor x idf) whose tokens it holds, each token
    once (`weights.coverage`, fitted). BM25 alone lets a chunk that repeats the question's place or name
    outrank the one holding the asked words once (term frequency and the short chunk's length both add);
    coverage counts each asked word once. Chunks BM25 does not reach stay at 0."""
    scores = weighted_bm25(store, keys, weights)
    if weights.coverage <= 0:
        return scores
    held = np.zeros_like(scores)
    total = 0.0
    for key, w, rows, _ in _postings(store, keys, weights):
        share = w * store.idf(key.token)
        held[rows] += share
        total += share
    return blend_coverage(scores, held, total, weights.coverage)


def blend_coverage(scores: np.ndarray, held: np.ndarray, total: float, coverage: float) -> np.ndarray:
    """BM25 scores scaled to the best one's, blended with the coverage `held` / `total` at weight
    `coverage` (app.retrieve and bench.fit_terms' replay of it); the scores as they are when nothing scores."""
    best = float(scores.max()) if len(scores) else 0.0
    if coverage <= 0 or best <= 0 or total <= 0:
        return scores
    blended = (1.0 - coverage) * scores / best + coverage * held / total
    return np.where(scores > 0, blended, 0.0).astype(np.float32)


def _postings(store: Store, keys: Sequence[Key], weights: TermWeights) -> Iterator[tuple[Key, float, np.ndarray, np.ndarray]]:
    """(key, its weight, the chunks its token is in, its BM25 score there) for each question token the
    index knows and the plan weighs above 0 (nothing when the index has no BM25 part)."""
    bm25 = store.bm25
    if bm25 is None:
        return
    data, indices, indptr = bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"]
    for key in keys:
        if (tid := bm25.vocab_dict.get(key.token)) is not None and (w := key.weight(weights)) > 0:
            start, end = int(indptr[tid]), int(indptr[tid + 1])
            yield key, w, indices[start:end], data[start:end]


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(chunk position, score) of the k best chunks with a score above 0, best first (ties by position)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def fuse(keyword: list[tuple[int, float]], semantic: list[tuple[int, float]], weights: TermWeights) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of the two ranked lists with the fitted weights, best first."""
    fused: dict[int, float] = {}
    for weight, ranked in ((weights.bm25, keyword), (weights.vector, semantic)):
        for rank, (pos, _) in enumerate(ranked, start=1):
            fused[pos] = fused.get(pos, 0.0) + weight / (weights.rrf_k + rank)
    return sorted(fused.items(), key=lambda x: -x[1])


def _distinct_first(store: Store, hits: list[Hit]) -> list[Hit]:
    """Hits in fused order, except that a near-copy of a higher hit moves behind all distinct ones."""
    if len(hits) < 2:
        return hits
    vectors = store.text_vectors([store.by_id[h.chunk.id] for h in hits], COPY_DIM)
    # every pair compared in one product: a product per hit cost more than the rest of retrieval
    close: dict[int, list[int]] = {}
    for i, j in np.argwhere(vectors @ vectors.T >= NEAR_DUPLICATE).tolist():
        if j < i:
            close.setdefault(i, []).append(j)
    distinct: list[int] = []
    copies: list[int] = []
    seen: set[int] = set()
    for i in range(len(hits)):
        # indicator records share their sheet's wording but each is its own fact: never a copy
        copy = hits[i].chunk.record is None and any(j in seen for j in close.get(i, ()))
        (copies if copy else distinct).append(i)
        if not copy:
            seen.add(i)
    return [Hit(hits[i].chunk, hits[i].score, rank) for rank, i in enumerate(distinct + copies, start=1)]
