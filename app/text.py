"""Chinese text handling shared by ingest and retrieval: the data folder, stopwords, synonyms, full-width
normalisation, sentence cutting, and the bound on what is kept per text.

The stages that read words are their own modules: app/tokens.py (the jieba tokenizer and the tokens BM25
indexes), app/segmenter.py (the dictionary route in one pass), app/tags.py (parts of speech and names),
app/dates.py (relative years, a document's date).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache, wraps
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "等", "也", "都", "就", "而", "并", "或", "其", "该", "这", "那", "个", "之", "为", "对", "于", "把", "被", "从", "向", "以", "中", "上", "下", "吗", "呢", "吧", "啊", "么", "呀", "多少", "第几", "哪里", "哪儿", "多久", "多大", "多长", "何时", "何地", "为何", "为什么", "什么样", "哪种", "哪类", "几月", "几号", "几年", "几天", "啥", "时候", "什么时候", "到", "什么", "哪些", "哪个", "哪家", "哪几", "几", "几个", "几家", "谁", "是否", "怎么", "怎样", "如何", "请问", "请", "有", "有没有", "一下", "年", "月", "日", "我们", "我市", "本市", "全市", "情况", "问题", "分别", "还", "又", "呢", "吗", "么", "哪", "多", "少"]
)

SENTENCE_END = "。！？!?；;"
# after 。！？ (and after the closing quote or bracket that may follow them: '…考题。”去年…'), after ；, at line ends
_SENT_SPLIT = re.compile(r"(?<=[。！？!?])(?![”’」』）)\"'])|(?<=[。！？!?][”’」』）)\"'])|(?<=[；;])|\n+")


# Tagging costs 0.1-0.5 ms a word and 1-5 ms a sentence (jieba's HMM in pure Python), and the same words and
# candidate sentences come back question after question: the tags depend on the text alone (the tagger's
# dictionary never changes in a process), so they are kept. Bounded: ~1 KB a sentence at most.
WORD_TAGS_KEPT = 65536
SENTENCE_TAGS_KEPT = 8192
KEPT_TEXT_CHARS = 600  # longer texts (ingest's documents and paragraphs) are never kept: 8192 x 600 chars ~ 20 MB at most


_KEPT_ELSEWHERE: list[Any] = []  # per-text caches of other modules (kept_per_text), dropped with these


def kept_per_text(fn: Any) -> Any:
    """Keep a pure function's results per text (sentence, chunk, title) up to KEPT_TEXT_CHARS, bounded like
    the tags: the answerer reads the same retrieved chunks question after question (longer texts are computed
    each time, as split_sentences and resolve_dates do). Registered so bench/ask_bench can drop it."""
    kept = lru_cache(maxsize=SENTENCE_TAGS_KEPT)(fn)

    @wraps(fn)
    def call(text: str) -> Any:
        return kept(text) if len(text) <= KEPT_TEXT_CHARS else fn(text)

    call.cache_info = kept.cache_info  # type: ignore[attr-defined]
    call.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    return kept_elsewhere(call)


def kept_elsewhere(cache: Any) -> Any:
    """Register another module's cache of results per text or chunk (an lru_cache'd pure function) with
    `per_text_caches`, so that bench/ask_bench drops it with these."""
    _KEPT_ELSEWHERE.append(cache)
    return cache


def per_text_caches() -> tuple[Any, ...]:
    """The caches of results per sentence or chunk text, for bench/ask_bench to time text seen the first time."""
    return (_sentences, *_KEPT_ELSEWHERE)


@cache
def word_list(name: str) -> tuple[str, ...]:
    """The words of a one-word-a-line data file under app/data/ (blank lines and '#' comments skipped), in
    file order: the lexicons stages read are data, each loaded once."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for line in (DATA_DIR / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        for w in words:
            table.setdefault(w.lower(), set()).update(x.lower() for x in words if x != w)
    return {k: tuple(sorted(v)) for k, v in table.items()}


_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalize(text: str) -> str:
    """Full-width ASCII to half-width, so 45．3％ matches 45.3%. (str.translate: 10x faster than NFKC.)"""
    return text.translate(_FULL_WIDTH)


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？；or a line end; never splits inside a number."""
    return list(_sentences(text) if len(text) <= KEPT_TEXT_CHARS else _split(text))


def _split(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENT_SPLIT.split(text) if s and s.strip())


# The answerer splits every retrieved chunk, question after question: kept per text, like the tags
_sentences = lru_cache(maxsize=SENTENCE_TAGS_KEPT)(_split)
