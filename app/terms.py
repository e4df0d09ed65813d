"""Term weighting: the question's content words and BM25 keys, each weighed by its part of speech.

The plan (app/query.py) decides which words are the question's topic; this stage says how much each counts:
idf in the index x the fitted factor of its part-of-speech class (app/data/term_weights.json, written by
`python -m bench.fit_terms --write`), and which words carry no topic at all (function words and modal verbs,
app/data/function_words.txt). It is separate because retrieval and the fitting script read the weights
without planning a question, and the factors change only when they are refitted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from app.errors import ConfigError
from app.tags import pos_tag
from app.text import DATA_DIR, synonyms
from app.tokens import tokenize


@cache
def _function_words() -> tuple[frozenset[str], frozenset[str]]:
    """app/data/function_words.txt: (the part-of-speech tags of function words, the modal verbs)."""
    table: dict[str, frozenset[str]] = {}
    for line in (DATA_DIR / "function_words.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, *words = line.split()
            table[key] = frozenset(words)
    return table["tags"], table["modal"]


def function_word(token: str) -> bool:
    """Whether a question's token carries no topic: a conjunction, preposition or particle by jieba's tag,
    or a modal verb (jieba tags 要, 能, 应当 as verbs). A content word is weighed by its idf,
    and one the index never holds as a token ('要') weighed like the rarest topic word: the evidence for
    '要建设哪些项目' then looked weak and the question was refused."""
    tags, modal = _function_words()
    return token in modal or word_tag(token) in tags


@dataclass(frozen=True)
class TermWeights:
    """The fitted factors of app/data/term_weights.json (written by `python -m bench.fit_terms --write`): one
    factor per part-of-speech / name class (`class_tags` names each class's jieba tags), `default` for tags of
    no class, one factor for a token a synonym brought in, and the fusion weights of BM25 and vector ranks.
    Kept together because they were fitted together."""

    classes: dict[str, float]
    class_tags: dict[str, tuple[str, ...]]
    default: float = 1.0
    synonym: float = 1.0
    part: float = 1.0
    bm25: float = 1.0
    vector: float = 0.5  # fitted with the default hashing embedding
    vector_model: float = 0.5  # with an embedding model (KBQA_EMBED_MODEL): not fitted, none to fit with here
    rrf_k: float = 60.0
    coverage: float = 0.0  # share of the keyword score that is term coverage rather than BM25 (app.retrieve)
    by_tag: dict[str, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        factors = [*self.classes.values(), self.default, self.synonym, self.part]
        if any(f < 0 for f in factors) or self.bm25 < 0 or min(self.vector, self.vector_model) < 0 or self.bm25 + min(self.vector, self.vector_model) <= 0 or self.rrf_k <= 0:
            raise ConfigError(f"term_weights.json 有误：因子与融合权重不能为负，BM25 与向量权重之和须大于 0，rrf_k 须大于 0"
                             f"（读到 {self}）。请用 python -m bench.fit_terms --write 重新生成。")
        if not 0.0 <= self.coverage < 1.0:
            raise ConfigError(f"term_weights.json 有误：fusion.coverage 应在 0 与 1 之间（不含 1），读到 {self.coverage}。"
                              "请用 python -m bench.fit_terms --write 重新生成。")
        if set(self.classes) != set(self.class_tags):
            raise ConfigError(f"term_weights.json 有误：类别 {sorted(self.classes)} 与其词性表 {sorted(self.class_tags)} 不一致。")
        object.__setattr__(self, "by_tag", {t: self.classes[c] for c, tags in self.class_tags.items() for t in tags})

    def factor(self, tag: str) -> float:
        return self.by_tag.get(tag, self.default)

    def factor_of_class(self, name: str) -> float:
        return self.classes.get(name, self.default)

    def to_json(self) -> dict[str, object]:
        return {"default": self.default, "synonym": self.synonym, "part": self.part,
                "fusion": {"bm25": self.bm25, "vector": self.vector, "vector_model": self.vector_model, "rrf_k": self.rrf_k,
                           "coverage": self.coverage},
                "classes": {c: {"tags": list(self.class_tags[c]), "factor": f} for c, f in self.classes.items()}}

    @staticmethod
    def from_json(raw: dict[str, Any]) -> TermWeights:
        classes, fusion = raw["classes"], raw.get("fusion", {})
        return TermWeights({str(c): float(v["factor"]) for c, v in classes.items()},
                           {str(c): tuple(str(t) for t in v["tags"]) for c, v in classes.items()},
                           float(raw.get("default", 1.0)), float(raw.get("synonym", 1.0)), float(raw.get("part", 1.0)),
                           float(fusion.get("bm25", 1.0)), float(fusion.get("vector", 0.5)), float(fusion.get("vector_model", 0.5)),
                           float(fusion.get("rrf_k", 60)), float(fusion.get("coverage", 0.0)))


@cache
def term_weights() -> TermWeights:
    """The shipped factors, read once."""
    return TermWeights.from_json(json.loads((DATA_DIR / "term_weights.json").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Term:
    """A content word of the question with its weight: idf in the index x its part-of-speech factor."""

    text: str
    tag: str
    weight: float
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Key:
    """One BM25 token of the question: its part-of-speech tag (whose factor weighs its BM25 score; BM25
    already carries the idf), whether a synonym of a question word brought it in, and whether it is a piece
    of a longer token of the question (search mode yields '上海' '海市' besides '上海市': without a factor of
    their own the pieces count a name three times, '海市' included)."""

    token: str
    tag: str
    synonym: bool = False
    part: bool = False

    def weight(self, weights: TermWeights) -> float:
        return weights.factor(self.tag) * (weights.synonym if self.synonym else 1.0) * (weights.part if self.part else 1.0)


@lru_cache(maxsize=65536)
def word_tag(word: str) -> str:
    """pos_tag, remembered: a question's words recur across questions, and tagging costs ~0.3 ms a word."""
    return pos_tag(word)


def keys_of(base: list[str]) -> tuple[Key, ...]:
    """The question's tokens, then the tokens of their synonyms (as `expand`), each with its tag."""
    out = {t: Key(t, word_tag(t), part=_is_part(t, base)) for t in base}
    table = synonyms()
    for tok in base:
        for syn in table.get(tok, ()):
            pieces = tokenize(syn)
            for t in pieces:
                out.setdefault(t, Key(t, word_tag(t), synonym=True, part=_is_part(t, pieces)))
    return tuple(out.values())


def _is_part(token: str, tokens: list[str]) -> bool:
    return any(len(other) > len(token) and token in other for other in tokens)


def terms_of(content: tuple[str, ...], idf: Callable[[str], float] | None) -> tuple[Term, ...]:
    """Each content word weighted idf x part-of-speech factor (RAGFlow's term weight, factors from data)."""
    weights = term_weights()
    table = synonyms()
    out = []
    for word in content:
        tag = word_tag(word)
        factor = weights.factor(tag)
        rarity = max((idf(w) for w in (word, *table.get(word, ()))), default=1.0) if idf else 1.0
        out.append(Term(word, tag, round(rarity * factor, 4), table.get(word, ())))
    return tuple(out)


def concept_groups(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each content token with its synonyms: a group is covered when any member appears."""
    table = synonyms()
    return [(t, *table.get(t, ())) for t in tokens]
