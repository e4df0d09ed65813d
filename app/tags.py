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
    slow part of a new question: each block's dictionary pass and each HMM run are done once (`has_name`)."""
    return frozenset(kind for kind in ("nr", "ns", "nt") if has_name(text, kind))


def has_name(text: str, kind: str) -> bool:
    """Whether `kind` is in `name_tags(text)`, tagging no more than that needs: the dictionary's words of
    every block first (its route, no HMM), then the HMM's runs one by one until one names such a thing. The
    ranker asks it of its best candidates for every who/where/which question, and the HMM over the runs
    the dictionary does not know is most of what tagging a new sentence costs."""
    from jieba.posseg import re_han_internal

    passes = []
    for block in re_han_internal.findall(text):
        words = _dictionary_pass(block)
        if any(flag == kind and len(w) >= 2 for w, flag in words):
            return True  # the blocks after it need no pass
        passes.append(words)
    return any(flag is None and any(f == kind for _, f in _run_names(w)) for words in passes for w, flag in words)


def names_of(text: str, kind: str) -> list[str]:
    """The proper names of one kind ('nr', 'ns', 'nt') jieba finds in the text, in order, block by block like
    `name_tags`, from the same dictionary pass and HMM runs as `has_name` (kept per block and per run)."""
    from jieba.posseg import re_han_internal

    names: list[str] = []
    for block in re_han_internal.findall(text):
        for w, flag in _dictionary_pass(block):
            if flag is None:
                names.extend(n for n, f in _run_names(w) if f == kind)
            elif flag == kind and len(w) >= 2:
                names.append(w)
    return names


@lru_cache(maxsize=WORD_TAGS_KEPT)
def is_noun(word: str) -> bool:
    """Whether jieba tags the word (as a whole) a noun or a foreign word: 月球, GDP — not 开始, 哪项."""
    pieces = list(pos_tokenizer().cut(word))  # type: ignore[attr-defined]
    return len(pieces) == 1 and (pieces[0].flag.startswith("n") or pieces[0].flag == "eng")


@kept_elsewhere
@lru_cache(maxsize=WORD_TAGS_KEPT)
def _dictionary_pass(block: str) -> tuple[tuple[str, str | None], ...]:
    """The dictionary's words of one block with their tags and its runs left to the HMM (kept per block)."""
    return pos_tokenizer().dictionary_pass(block)  # type: ignore[attr-defined]


@kept_elsewhere
@lru_cache(maxsize=WORD_TAGS_KEPT)
def _run_names(run: str) -> tuple[tuple[str, str], ...]:
    """The names ('nr', 'ns', 'nt', two characters or more) the HMM finds in one run the dictionary does not
    know, with their tags (kept per run)."""
    return tuple((w, f) for w, f in pos_tokenizer().hmm_words(run) if f in ("nr", "ns", "nt") and len(w) >= 2)  # type: ignore[attr-defined]
