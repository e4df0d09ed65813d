"""The candidate scorer: a logistic regression over named features, its weights fitted by
`python -m bench.fit_scorer` on the fit files and shipped in app/data/scorer.json.

Why logistic regression: about fifteen features, a few thousand labelled questions; each weight reads as
"how much this evidence moves the odds that a candidate holds the answer", so a surprising ranking can be
explained from the data file; it fits in numpy in seconds and scores a candidate with one dot product, with
no new dependency (gradient boosting would need one and hides why a candidate won).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.errors import KBQAError
from app.patterns import ISO_DATE, YMD
from app.scan import Value
from app.text import kept_per_text

SCORER_FILE = Path(__file__).resolve().parent / "data" / "scorer.json"
# a date that opens a text (a web page's 'Jan 5, 2022 ... ', a dateline '2023年8月8日 ', '2022-11-07 09:19'),
# in match_form (lower case, no spaces)
DATELINE = re.compile(rf"\s*(?:[a-z]{{3,9}}\.?\s*\d{{1,2}},\s*\d{{4}}|{YMD}|{ISO_DATE.pattern})"
                      r"(?:\s*\d{1,2}:\d\d(?::\d\d)?)?\s*(?:\.\.\.|…)*\s*", re.IGNORECASE)

# Why this model, with what the alternatives scored (bench/fit_scorer.py --cache, fit files, 5-fold CV by
# question, top-1 over 1076 questions, 2026-12-01 at db0ec98).
MODEL = (
    "conditional logistic regression (softmax over a question's candidates) on standardised features "
    "(app/scorer.py), L2 1.0: CV top-1 0.817. Kept because nothing tried beat it by more than one question of 1076: "
    "interactions type_fit*coverage 0.817, constraint_own*coverage 0.814, constraint_context*coverage 0.813, "
    "inv_rank*coverage 0.812, bigrams*coverage 0.809, coverage squared 0.808; within-question features: coverage, "
    "own_coverage or bigrams minus the question's best 0.818 (a shift per question, which the softmax ignores), "
    "rank of coverage 0.817, share of the question's candidates from the same chunk 0.818, none added by forward "
    "selection (gain < 0.0015); a 2-layer net (tanh, 8 / 16 units, linear skip) 0.798 / 0.787 against 0.807 for "
    "the same training without hidden units; boosted stumps (softmax gradient, 16 quantile splits a feature) on the "
    "linear scores 0.815, alone 0.791 (600 rounds) / 0.783 (300); L2 0.1 / 5 / 20: 0.815 / 0.803 / 0.792. "
    "Added in b90cafb (measured on 1f20548: CV 0.816 -> 0.824, 878 -> 887 questions): opening (how early the candidate names a question term, after a "
    "dateline). Tried beside it and dropped (CV top-1 change in questions of 1076, other folds): span of the "
    "matched terms / length +1, characters or share after the last matched term -5 / -2, novelty after it -10, "
    "the question's highest-idf term in the candidate's own words +1 (0 alone), share of the question's terms in "
    "the sentence before -2 (only there: -2), the sentence's place in its chunk -4, a digit in the answer 0, a run "
    "-1; the asked type against the kind of candidate (length or structured x a how/list question, length x a "
    "figure question) -3 / +1 / -10; opening measured from the clause or sentence start -7 / -11. "
    "Tried at c3ce9e0 (CV top-1 over 1198 groups of the four fit sets, 1024 with these features refitted; then "
    "bench.eval_all end to end, leads over ncp / cmrc / RGB / kb dev against the shipped weights): news (idf share "
    "of the question's concepts its title and headings do not name that its own words name) 1020, ncp +5 cmrc -6 "
    "in CV, end to end +2 / -2 / -7 / -2; news_opening (opening for those concepts' terms) 1018; phrase (longest "
    "verbatim stretch of the question, asking words removed) 1026 (RGB +2); novelty dropped (its weight came out "
    "negative, against its purpose) 1028, end to end +2 / +1 / -3 / 0; news and phrase with novelty dropped 1031, "
    "end to end +4 / -2 / -4 / -1. A plain refit of these features on today's candidates (CV 1024) moved the "
    "leads 0 / +1 / -5 / 0: end to end, a refit alone costs RGB dev leads that composition (agreement, the lead "
    "swap, two-part answers) won with the shipped scores, so none of the above was kept"
)

# What each feature measures (app/rank.py computes them, in this order).
FEATURES: dict[str, str] = {
    "coverage": "idf-weighted share of the question's concepts in the candidate (context counts part)",
    "own_coverage": "idf-weighted share found in the candidate's own words only",
    "subject": "share of the question's subject terms (names and nouns that are not the metric) covered",
    "type_fit": "the asked type's value in the answer: 1 a whole value, 1/3 a partial one, 0 none",
    "extra_values": "further asked values when the question asks for several figures",
    "value_missing": "a value is asked (number, date, rank) and the answer shows none",
    "value_near": "closeness of the asked value to the nearest matched term, 1/(1 + characters/10)",
    "year_match": "a year the question names is in the candidate",
    "constraint_own": "share of the places, organisations and names the question names found in the candidate",
    "constraint_context": "the same share found in its heading path or document title",
    "period_match": "the question's month span or quarter is in the candidate",
    "inv_rank": "1 / the chunk's retrieval rank",
    "retrieval_score": "the chunk's fused retrieval score relative to the best hit's",
    "structured": "a heading or lead-in with what follows it",
    "record": "a table record",
    "asking": "the candidate's heading or lead-in asks a question (a plain sentence that asks is no candidate)",
    "name_found": "a name of the kind a who/where/which question asks for is in the answer",
    "length": "log of the answer's length in characters, / 5",
    "bigrams": "share of the question's character pairs (asking words removed) in the candidate's own words",
    "novelty": "share of the answer's character pairs the question lacks: 0 when it only repeats the question",
    "in_title": "share of the candidate's own character pairs found in its document's title",
    "doc_start": "the candidate opens its document (a dateline, a summary or the title run into the text)",
    "opening": "how early its own words name a question term: 1/(1 + characters before the first / 5), 0 when none",
}
NAMES = tuple(FEATURES)


@dataclass(frozen=True)
class Scorer:
    """Standardised-feature logistic regression: p = sigmoid(bias + sum w_i (x_i - mean_i) / scale_i)."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    fitted_on: tuple[str, ...] = ()

    def __call__(self, x: Sequence[float]) -> float:
        return self.scores([x])[0]

    def scores(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """The probability of each row of features, all rows at once (a question has hundreds of candidates, and a
        Python loop over their features was a tenth of the answerer's time). The arithmetic is the per-row
        formula's, term by term in feature order: a sum in another order (numpy's pairwise one) can move a
        score's last bit, and near-tied candidates are ranked by it."""
        if not rows:
            return []
        x = np.asarray(rows, dtype=np.float64)
        if x.shape[1] != len(self.weights):
            raise ValueError(f"{x.shape[1]} features given, the scorer has {len(self.weights)}")
        total = np.zeros(len(x))
        for j, (w, m, s) in enumerate(zip(self.weights, self.mean, self.scale, strict=True)):
            total += w * (x[:, j] - m) / s
        return [sigmoid(self.bias + z) for z in total.tolist()]

    def to_json(self, extra: dict[str, object] | None = None) -> str:
        """The data file's text: weights with what each feature means and the model text (why this model)."""
        data: dict[str, object] = {
            "model": MODEL,
            "features": {n: {"weight": round(w, 5), "mean": round(m, 5), "scale": round(s, 5), "means": FEATURES[n]}
                         for n, w, m, s in zip(NAMES, self.weights, self.mean, self.scale, strict=True)},
            "bias": round(self.bias, 5),
            "fitted_on": list(self.fitted_on),
            **(extra or {}),
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def sigmoid(z: float) -> float:
    """1 / (1 + e^-z), z clipped to ±30 (the fitted models' probability; no overflow on an extreme feature)."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def from_json(text: str, source: str = "scorer.json") -> Scorer:
    """A scorer from its data file; a file for other features is refused with how to refit it."""
    try:
        data = json.loads(text)
        feats = data["features"]
        if list(feats) != list(NAMES):
            raise KBQAError(f"{source} 的特征 {list(feats)} 与代码的 {list(NAMES)} 不一致：请重新运行 python -m bench.fit_scorer --write。")
        return Scorer(tuple(float(feats[n]["weight"]) for n in NAMES), float(data["bias"]),
                      tuple(float(feats[n]["mean"]) for n in NAMES), tuple(float(feats[n]["scale"]) or 1.0 for n in NAMES),
                      tuple(str(f) for f in data.get("fitted_on", ())))
    except (ValueError, KeyError, TypeError) as exc:
        raise KBQAError(f"无法读取打分模型 {source}：{exc}。请重新运行 python -m bench.fit_scorer --write。") from None


@lru_cache(maxsize=1)
def shipped() -> Scorer:
    """The shipped scorer (read once per process)."""
    if not SCORER_FILE.exists():
        raise KBQAError(f"缺少打分模型文件 {SCORER_FILE}：请运行 python -m bench.fit_scorer --write 生成。")
    return from_json(SCORER_FILE.read_text(encoding="utf-8"), str(SCORER_FILE))


_NOT_LETTERS = re.compile(r"[\s\W_]+")  # what splits a text into runs of letters (`pairs`)


@kept_per_text
def pairs(text: str) -> frozenset[str]:
    """The text's character pairs within runs of letters (punctuation and spaces split runs)."""
    runs = _NOT_LETTERS.split(text)
    return frozenset(r[i : i + 2] for r in runs for i in range(len(r) - 1))


def novelty(question: frozenset[str], text: str) -> float:
    """Share of the text's character pairs that the question lacks: what a candidate says beyond the
    question's own words ('四是减轻企业负担' beside '如何减轻企业负担' adds almost nothing)."""
    own = pairs(text)
    return len(own - question) / len(own) if own else 0.0


def pairs_share(wanted: frozenset[str], text: str) -> float:
    """Share of the question's character pairs found in the text: wording shared beyond the weighted terms.
    A pair is two letters of one run, so it occurs in the text exactly when it is one of the text's own
    pairs: one set intersection with the pairs kept per text, not a substring search per pair."""
    return len(wanted & pairs(text)) / len(wanted) if wanted else 0.0


def opening(text: str, terms: Sequence[str]) -> float:
    """1/(1 + chars/5), chars before the first question term in the text (0: none), after a dateline that
    opens it. A sentence that opens on the question's terms is about them ('X是…', 'X位于…'); one that reaches
    them late mostly says something else and names them in passing, though its coverage is the same (two
    overlapping runs of a chunk). A page's date ('Jan 5, 2022 ... ', '2023年8月8日 ') is no content before them."""
    skip = _dateline_end(text)
    found = [i for i in (text.find(t, skip) for t in terms if t) if i >= 0]
    return 1.0 / (1.0 + (min(found) - skip) / 5) if found else 0.0


@kept_per_text
def _dateline_end(text: str) -> int:
    """Where a date that opens the text ends (0: none), kept per text: `opening` reads it for every candidate."""
    dateline = DATELINE.match(text)
    return dateline.end() if dateline else 0


def nearness(found: Sequence[Value], answer: str, terms: list[str]) -> float:
    """1/(1 + gap/10), the gap in characters between an asked value and the nearest matched term (0: none)."""
    if not found:
        return 0.0
    # every non-overlapping occurrence of each term (str.find: a regex per term cost more than the rest) against
    # every value, stopping at the first pair that touches (gap 0): the ranker reads this for every candidate
    spots = [(v.start, v.end) for v in found]
    gap = -1
    for t in filter(None, terms):
        i = answer.find(t)
        while i >= 0:
            e = i + len(t)
            for start, end in spots:
                g = max(start - e, i - end)
                if g <= 0:
                    return 1.0
                if gap < 0 or g < gap:
                    gap = g
            i = answer.find(t, e)
    return 1.0 / (1.0 + gap / 10) if gap > 0 else 0.0
