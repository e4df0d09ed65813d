"""Calibrated refusal: one hard gate on the question's constraints and one fitted threshold on a score.

The extractor picks the best evidence it can find; whether that evidence answers *this* question is
decided here, once, after extraction:

- the **gate** (app/gate.py): every place, organisation, year and period the question names must appear in
  the lead evidence; a figure question (多少) whose lead sentence states no value at all is no answer either
  (`FIGURE`).
- the **threshold**: a tiny logistic model over a few named question-level features of the lead evidence
  (`FEATURES`: the fitted candidate scorer's probability for it, its weighted term coverage, whether the
  question named constraints it carries, the share of question words the index lacks) gives the odds that the answer is right; it must reach the
  threshold. Weights and threshold are fitted together by `python -m bench.fit` on the fit files only
  (cross-validated) and written to app/data/refusal.json with what they were fitted on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from app.errors import KBQAError
from app.extract import Extracted, match_form
from app.gate import evidence, lacks
from app.query import Query
from app.rank import CONTEXT_WEIGHT as CONTEXT_CREDIT
from app.rank import PLAN_NOUNS
from app.scan import scan
from app.schema import Chunk, Hit
from app.scorer import sigmoid
from app.store import Store
from app.text import DATA_DIR

# CONTEXT_CREDIT: a term found in the lead chunk or its headings but not in the cited sentence counts as
# much as in the extractor's own coverage; a prior, not fitted: the threshold is fitted over the score.
THRESHOLD_FILE = DATA_DIR / "refusal.json"
# what a figure question's lead lacks when it shows no value at all (Verdict.missing): a sentence about the
# asked thing that states no number, date or rank does not say how many
FIGURE = "数值"


# The refusal model's features, in order (judge computes them; bench/fit.py fits their weights).
FEATURES: dict[str, str] = {
    "probability": "log-odds of the fitted candidate scorer's probability for the lead candidate (app/scorer.py)",
    "coverage": "weighted share of the question's terms in the lead evidence (sentence 1, chunk/headings CONTEXT_CREDIT)",
    "constrained": "the question names a place, organisation, year or period (all found: the gate passed)",
    "unknown": "idf-weighted share of the question's topic nouns the index never mentions (app/rank.py)",
}
NAMES = tuple(FEATURES)


@dataclass(frozen=True)
class Verdict:
    """What refusal.judge found about one extracted answer."""

    score: float  # the refusal model's probability that the lead answers the question, 0..1
    missing: tuple[str, ...]  # the question's places/organisations/years/periods the lead evidence lacks (or FIGURE)
    features: tuple[float, ...] = ()  # the model's inputs, in NAMES order (bench/fit.py refits on them)

    def refuses(self, threshold: float) -> bool:
        return bool(self.missing) or self.score < threshold


@dataclass(frozen=True)
class Model:
    """p = sigmoid(bias + sum w_i x_i) over NAMES: few named weights, each readable in the data file."""

    weights: tuple[float, ...]
    bias: float

    def __call__(self, x: Sequence[float]) -> float:
        return sigmoid(self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True)))


def _fitted() -> dict[str, object]:
    try:
        data = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KBQAError(f"无法读取拒答模型 {THRESHOLD_FILE}：{exc}。请重新运行 python -m bench.fit --write。") from None
    if not isinstance(data, dict):
        raise KBQAError(f"{THRESHOLD_FILE} 应为 JSON 对象：请重新运行 python -m bench.fit --write。")
    return data


@cache
def threshold() -> float:
    """The fitted "no answer" threshold on the model's probability (app/data/refusal.json, `python -m bench.fit`)."""
    value = _fitted().get("threshold")
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise KBQAError(f"{THRESHOLD_FILE} 中的 threshold 应为 0 到 1 之间的数，实际为 {value!r}：请重新运行 python -m bench.fit --write。")
    return float(value)


@cache
def model() -> Model:
    """The fitted refusal model (app/data/refusal.json); a file for other features is refused with how to refit."""
    data = _fitted()
    weights, bias = data.get("weights"), data.get("bias")
    if not isinstance(weights, dict) or list(weights) != list(NAMES) or not isinstance(bias, (int, float)) \
            or not all(isinstance(w, (int, float)) for w in weights.values()):
        raise KBQAError(f"{THRESHOLD_FILE} 的 weights 应为 {list(NAMES)} 各一个数、bias 为一个数：请重新运行 python -m bench.fit --write。")
    return Model(tuple(float(weights[n]) for n in NAMES), float(bias))


def log_odds(p: float) -> float:
    """The scorer's probability as log-odds, clipped (a probability of 0 or 1 is no infinite evidence)."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def coverage(plan: Query, quote: str, chunk: Chunk) -> float:
    """Weighted share of the plan's terms the lead evidence carries: full credit in the cited sentence,
    CONTEXT_CREDIT elsewhere in the chunk, its headings or title."""
    terms = [t for t in plan.terms if t.text not in PLAN_NOUNS]  # '有什么工作安排': 安排 names the answer's form
    total = sum(t.weight for t in terms)
    if not total:
        return 0.0
    sentence, hay = match_form(quote), evidence(chunk)
    got = 0.0
    for term in terms:
        words = (term.text, *term.synonyms)
        got += term.weight * (1.0 if any(w in sentence for w in words) else CONTEXT_CREDIT if any(w in hay for w in words) else 0.0)
    return got / total


def judge(plan: Query, result: Extracted, hits: list[Hit], store: Store | None = None) -> Verdict | None:
    """The verdict on an answerable result (None for a refusal, or when the lead chunk is not among the hits,
    e.g. a list of headings the extractor read from the store). With the `store`, a place the lead chunk
    lacks is looked for in its document when the chunk calls it by its level ('我市': `self_named`)."""
    if not result.answerable or not result.citations:
        return None
    lead = result.citations[0]
    chunk = next((h.chunk for h in hits if h.chunk.id == lead.chunk_id), None)
    if chunk is None:
        return None
    absent = lacks(plan, chunk, store)
    if plan.qtype == "numeric" and not scan(lead.quote):
        absent = (*absent, FIGURE)
    if plan.qtype == "headings" or result.structural:
        # a list of sibling sections, or the items of a section the question names, is not scored: the asked
        # words sit in the heading, not in each item
        return Verdict(1.0, absent)
    constrained = bool(plan.places or plan.orgs or plan.periods or plan.months or any(y in plan.text for y in plan.years))
    x = (log_odds(result.score), round(coverage(plan, lead.quote, chunk), 4), float(constrained and not absent),
         result.unknown)
    return Verdict(round(model()(x), 4), absent, x)
