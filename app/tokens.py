"""The one jieba tokenizer (our dictionary, the segmenter's route) and the tokens BM25 indexes.

Ingest and query tokenize through the same `tokenize()`, so BM25 sees the same vocabulary both ways.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cache

import jieba

from app.segmenter import segmenter, segmenter_cache_key
from app.text import DATA_DIR, synonyms


def route_pieces(sentence: str, ends: list[int]) -> Iterator[tuple[str, bool]]:
    """The words of a route (`ends[x]`: where the word starting at x ends), as jieba's __cut_DAG walks it:
    each word of two or more characters on its own (False), each run of one-character words joined (True),
    since jieba hands such a run to its HMM or splits it. The tokenizer's and the tagger's cuts share it."""
    x = 0
    buf = ""
    n = len(sentence)
    while x < n:
        y = ends[x] + 1
        word = sentence[x:y]
        if y - x == 1:
            buf += word
        else:
            if buf:
                yield buf, True
                buf = ""
            yield word, False
        x = y
    if buf:
        yield buf, True


class _Tokenizer(jieba.Tokenizer):
    """jieba's Tokenizer walking the segmenter's route (`Segmenter.ends`: jieba's get_DAG + calc in one pass,
    the same words) where jieba builds a DAG and then its route; everything else, the HMM of runs of
    unknown characters included, is jieba's. The answerer cuts new candidate clauses for every question."""

    def _Tokenizer__cut_DAG_NO_HMM(self, sentence: str) -> Iterator[str]:
        """jieba's __cut_DAG_NO_HMM: the route's words, runs of single ASCII letters and digits joined."""
        yield from segmenter().route(sentence)

    def _Tokenizer__cut_DAG(self, sentence: str) -> Iterator[str]:
        """jieba's __cut_DAG (same lines): a run of single characters that is no word goes to the HMM."""
        for piece, single in route_pieces(sentence, segmenter().ends(sentence)):
            if single:
                yield from self._buffered(piece)
            else:
                yield piece

    def _buffered(self, buf: str) -> Iterator[str]:
        if len(buf) == 1:
            yield buf
        elif not self.FREQ.get(buf):
            yield from jieba.finalseg.cut(buf)
        else:
            yield from buf


@cache
def tokenizer() -> jieba.Tokenizer:
    """The one jieba tokenizer, with the domain dictionary loaded. Built lazily: ~1 s."""
    jieba.setLogLevel(logging.WARNING)
    tk = _Tokenizer()
    tk.load_userdict(str(DATA_DIR / "userdict.txt"))
    tk.initialize()
    return tk


TOKENIZE_CODE_VERSION = "tokenize-3"  # bump when tokenize() gives other tokens for the same text


def tokenizer_signature() -> dict[str, str]:
    """What decides an index's tokens: our tokenizer code, and jieba's and our dictionaries (by content).
    Recorded in every generation's manifest; ingest refuses to add tokens of another signature."""
    return {"tokenizer": f"{TOKENIZE_CODE_VERSION}/jieba-{jieba.__version__}", "dictionary": segmenter_cache_key()[:16]}


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lower-cased, without punctuation/stopwords."""
    return segmenter().tokens(text)


def expand(tokens: list[str]) -> list[str]:
    """Add query-time synonyms (规上→规模以上, AI→人工智能 ...); each synonym is tokenized like text."""
    table = synonyms()
    out = list(tokens)
    for tok in tokens:
        for syn in table.get(tok, ()):
            out.extend(t for t in tokenize(syn) if t not in out)
    return out
