"""Parts of speech and proper names, by jieba's tagger over the segmenter's route (app/postag.py), kept
per word and per block: the answerer tags the same candidate sentences question after question."""

from __future__ import annotations

from functools import cache, lru_cache

from app.segmenter import segmenter
from app.text import WORD_TAGS_KEPT, kept_elsewhere
from app.tokens import tokenizer


@cache
def pos_tokenizer() -> object:
    """jieba's tagger, with a Viterbi over arrays and the segmenter's one-pass route, the same tags several
    times faster (app/postag.py): the answerer tags the best candidate sentences of every new question."""
    from app.postag import POSTokenizer

    return POSTokenizer(tokenizer(), segmenter().ends)


@lru_cache(maxsize=WORD_TAGS_KEPT)
def pos_tag(word: str) -> str:
    """jieba's part-of-speech tag of the word's first piece ('n', 'v', 'r', 'eng' …)."""
    pieces = list(pos_tokenizer().cut(word))  # type: ignore[attr-defined]
    return str(pieces[0].flag) if pieces else ""


def name_tags(text: str) -> frozenset[str]:
    """The kinds of proper names jieba finds in the text: 'nr' person, 'ns' place, 'nt' organisation.

    Read block by block: jieba tags each run of Chinese letters and digits (its `re_han_internal` blocks)
    on its own and everything between them as 'x', 'm' or 'eng', so the text's names are those of its
    blocks. Overlapping candidates (a sentence, the runs it opens) share their clauses, and tagging is the
    slow part of a new question: each clause is tagged once."""
    from jieba.posseg import re_han_internal  # loaded with the tagger, not with this module

    return frozenset().union(*(_block_names(block) for block in re_han_internal.findall(text)))


def names_of(text: str, kind: str) -> list[str]:
    """The proper names of one kind ('nr', 'ns', 'nt') jieba finds in the text, block by block like `name_tags`."""
    from jieba.posseg import re_han_internal

    return [w for block in re_han_internal.findall(text) for w, flag in _block_words(block) if flag == kind]


@kept_elsewhere
@lru_cache(maxsize=WORD_TAGS_KEPT)
def _block_words(block: str) -> tuple[tuple[str, str], ...]:
    """The names of one block with their tags (kept per block)."""
    return tuple((p.word, p.flag) for p in pos_tokenizer().cut(block) if p.flag in ("nr", "ns", "nt") and len(p.word) >= 2)  # type: ignore[attr-defined]


@kept_elsewhere
@lru_cache(maxsize=WORD_TAGS_KEPT)
def _block_names(block: str) -> frozenset[str]:
    """`name_tags` of one block of Chinese letters and digits (kept per block, like the tags of a word)."""
    return frozenset({p.flag for p in pos_tokenizer().cut(block) if p.flag in ("nr", "ns", "nt") and len(p.word) >= 2})  # type: ignore[attr-defined]


@lru_cache(maxsize=WORD_TAGS_KEPT)
def is_noun(word: str) -> bool:
    """Whether jieba tags the word (as a whole) a noun or a foreign word: 月球, GDP — not 开始, 哪项."""
    pieces = list(pos_tokenizer().cut(word))  # type: ignore[attr-defined]
    return len(pieces) == 1 and (pieces[0].flag.startswith("n") or pieces[0].flag == "eng")
