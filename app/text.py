"""Chinese text handling shared by ingest and retrieval: jieba set-up, synonyms, sentences, dates.

Ingest and query tokenize through the same `tokenize()`, so BM25 sees the same vocabulary both ways.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from functools import cache, lru_cache, wraps
from math import log
from pathlib import Path
from typing import Any

import jieba

DATA_DIR = Path(__file__).resolve().parent / "data"

STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "等", "也", "都", "就", "而", "并", "或", "其", "该", "这", "那", "个", "之", "为", "对", "于", "把", "被", "从", "向", "以", "中", "上", "下", "吗", "呢", "吧", "啊", "么", "呀", "多少", "第几", "哪里", "哪儿", "多久", "多大", "多长", "何时", "何地", "为何", "为什么", "什么样", "哪种", "哪类", "几月", "几号", "几年", "几天", "啥", "时候", "什么时候", "到", "什么", "哪些", "哪个", "哪家", "哪几", "几", "几个", "几家", "谁", "是否", "怎么", "怎样", "如何", "请问", "请", "有", "有没有", "一下", "年", "月", "日", "我们", "我市", "本市", "全市", "情况", "问题", "分别", "还", "又", "呢", "吗", "么", "哪", "多", "少"]
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

SENTENCE_END = "。！？!?；;"
# after 。！？ (and after the closing quote or bracket that may follow them: '…考题。”去年…'), after ；, at line ends
_SENT_SPLIT = re.compile(r"(?<=[。！？!?])(?![”’」』）)\"'])|(?<=[。！？!?][”’」』）)\"'])|(?<=[；;])|\n+")


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


@cache
def _pos_tokenizer() -> object:
    """jieba's tagger, with a Viterbi over arrays and the segmenter's one-pass route, the same tags several
    times faster (app/postag.py): the answerer tags the best candidate sentences of every new question."""
    from app.postag import POSTokenizer

    return POSTokenizer(tokenizer(), segmenter().ends)


# Tagging costs 0.1-0.5 ms a word and 1-5 ms a sentence (jieba's HMM in pure Python), and the same words and
# candidate sentences come back question after question: the tags depend on the text alone (the tagger's
# dictionary never changes in a process), so they are kept. Bounded: ~1 KB a sentence at most.
_WORD_TAGS_KEPT = 65536
_SENTENCE_TAGS_KEPT = 8192
KEPT_TEXT_CHARS = 600  # longer texts (ingest's documents and paragraphs) are never kept: 8192 x 600 chars ~ 20 MB at most


_KEPT_ELSEWHERE: list[Any] = []  # per-text caches of other modules (kept_per_text), dropped with these


def kept_per_text(fn: Any) -> Any:
    """Keep a pure function's results per text (sentence, chunk, title) up to KEPT_TEXT_CHARS, bounded like
    the tags: the answerer reads the same retrieved chunks question after question (longer texts are computed
    each time, as split_sentences and resolve_dates do). Registered so bench/ask_bench can drop it."""
    kept = lru_cache(maxsize=_SENTENCE_TAGS_KEPT)(fn)

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
    return (_block_names, _resolved, _sentences, *_KEPT_ELSEWHERE)


@lru_cache(maxsize=_WORD_TAGS_KEPT)
def pos_tag(word: str) -> str:
    """jieba's part-of-speech tag of the word's first piece ('n', 'v', 'r', 'eng' …)."""
    pieces = list(_pos_tokenizer().cut(word))  # type: ignore[attr-defined]
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


@lru_cache(maxsize=_WORD_TAGS_KEPT)
def _block_words(block: str) -> tuple[tuple[str, str], ...]:
    """The names of one block with their tags (kept per block)."""
    return tuple((p.word, p.flag) for p in _pos_tokenizer().cut(block) if p.flag in ("nr", "ns", "nt") and len(p.word) >= 2)  # type: ignore[attr-defined]


@lru_cache(maxsize=_WORD_TAGS_KEPT)
def _block_names(block: str) -> frozenset[str]:
    """`name_tags` of one block of Chinese letters and digits (kept per block, like the tags of a word)."""
    return frozenset({p.flag for p in _pos_tokenizer().cut(block) if p.flag in ("nr", "ns", "nt") and len(p.word) >= 2})  # type: ignore[attr-defined]


@lru_cache(maxsize=_WORD_TAGS_KEPT)
def is_noun(word: str) -> bool:
    """Whether jieba tags the word (as a whole) a noun or a foreign word: 月球, GDP — not 开始, 哪项."""
    pieces = list(_pos_tokenizer().cut(word))  # type: ignore[attr-defined]
    return len(pieces) == 1 and (pieces[0].flag.startswith("n") or pieces[0].flag == "eng")


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


class Segmenter:
    """jieba's search-mode cut without HMM (`Tokenizer.cut_for_search(text, HMM=False)`), token for token,
    at about twice the speed.

    Ingest spends most of its time here, so jieba's two passes per block (build the DAG, then the
    max-probability route over it) are folded into one right-to-left pass over a single dictionary lookup
    per prefix, with log-probabilities computed once. Same dictionary (jieba's plus ours), same route,
    same tie-break (the longer word), same sub-words: tests/test_text.py checks equality with jieba.
    """

    def __init__(self, logp: dict[str, float], unknown: float) -> None:
        # word -> log P(word) (< 0); a prefix that is no word -> 0.0 (falsy); anything else is absent
        self.logp = logp
        self.unknown = unknown  # what jieba scores a character it has no entry for
        self._kept: dict[str, tuple[str, ...]] = {}  # token -> what is indexed of it (nothing for stopwords)

    @classmethod
    def from_jieba(cls, tk: jieba.Tokenizer) -> Segmenter:
        tk.check_initialized()
        logtotal = log(tk.total)
        return cls({w: (log(f) - logtotal if f else 0.0) for w, f in tk.FREQ.items()}, log(1) - logtotal)

    def ends(self, s: str) -> list[int]:
        """Where the max-probability word starting at each position ends (inclusive): jieba's `calc` route
        over its `get_DAG` (same scores, same tie-break), in one pass. The tagger walks it too."""
        logp, n = self.logp, len(s)
        best = [0.0] * (n + 1)
        nxt = [0] * n
        for k in range(n - 1, -1, -1):
            score: float | None = None
            end = i = k
            p = logp.get(s[k])
            while p is not None:
                if p:
                    cand = p + best[i + 1]
                    if score is None or cand >= score:  # max over (score, end): ties go to the longer word
                        score, end = cand, i
                i += 1
                if i >= n:
                    break
                p = logp.get(s[k : i + 1])
            best[k] = self.unknown + best[k + 1] if score is None else score  # no word here: one character
            nxt[k] = end
        return nxt

    def route(self, s: str) -> list[str]:
        """The max-probability words of one block of Han characters, letters and digits."""
        nxt, n = self.ends(s), len(s)
        words: list[str] = []
        buf = ""
        x = 0
        while x < n:
            y = nxt[x] + 1
            word = s[x:y]
            if y - x == 1 and word.isascii() and word.isalnum():  # jieba's re_eng: runs of single ASCII letters/digits merge
                buf += word
            else:
                if buf:
                    words.append(buf)
                    buf = ""
                words.append(word)
            x = y
        if buf:
            words.append(buf)
        return words

    def cut_for_search(self, text: str) -> Iterator[str]:
        logp = self.logp
        for block in _HAN_BLOCK.split(text):
            if not block:
                continue
            if not _HAN_BLOCK.match(block):
                for piece in _SKIP.split(block):
                    if _SKIP.match(piece):
                        yield piece
                    else:
                        yield from piece
                continue
            for w in self.route(block):
                if len(w) > 2:
                    for i in range(len(w) - 1):
                        if logp.get(w[i : i + 2]):
                            yield w[i : i + 2]
                if len(w) > 3:
                    for i in range(len(w) - 2):
                        if logp.get(w[i : i + 3]):
                            yield w[i : i + 3]
                yield w

    def tokens(self, text: str) -> list[str]:
        """Lower-cased search-mode tokens without punctuation and stopwords; a word of letters and digits
        also gives its parts ('gpt4' -> gpt4, gpt, 4), so 'GPT4' meets 'GPT-4' and 'iPhone 14' 'iPhone14'."""
        kept = self._kept
        out: list[str] = []
        for tok in self.cut_for_search(normalize(text).lower()):
            words = kept.get(tok)
            if words is None:
                words = kept[tok] = _indexed(tok)
            out.extend(words)
        return out


_ALNUM = re.compile(r"(?=.*[a-z])(?=.*\d)[a-z\d]+")
_ALNUM_PART = re.compile(r"[a-z]{2,}|\d+")


def _indexed(token: str) -> tuple[str, ...]:
    """What the index keeps of one jieba token."""
    word = token.strip()
    if not word or word in STOPWORDS or _PUNCT.match(word):
        return ()
    if _ALNUM.fullmatch(word):
        return (word, *_ALNUM_PART.findall(word))
    return (word,)


_HAN_BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")  # jieba's re_han_default
_SKIP = re.compile(r"(\r\n|\s)")  # jieba's re_skip_default


SEGMENTER_CODE_VERSION = b"segmenter-2"  # bump when Segmenter's tables change meaning
_CACHE_MAGIC = b"KBQA-SEG\n"


@cache
def segmenter_cache_key() -> str:
    """What the cache must have been built from: our code version, jieba's version and dictionary, ours."""
    with jieba.Tokenizer().get_dict_file() as f:
        main_dict = f.read()
    userdict = (DATA_DIR / "userdict.txt").read_bytes()
    parts = [SEGMENTER_CODE_VERSION, jieba.__version__.encode(), hashlib.sha256(main_dict).digest(), userdict]
    return hashlib.sha256(b"\x1f".join(parts)).hexdigest()


def private_cache_dir() -> Path | None:
    """A cache folder only this user can write: $XDG_CACHE_HOME/kbqa (or ~/.cache/kbqa), else kbqa-<uid> in
    the temp folder; made mode 0700. A folder that is a link, or that another user owns, is not used (None):
    whoever can write the cache decides how every question is cut into words."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder known for this user
        home = ""
    candidates = [Path(home) / "kbqa"] if home else []
    candidates.append(Path(tempfile.gettempdir()) / f"kbqa-{uid if uid is not None else 'user'}")
    for folder in candidates:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
                logging.getLogger(__name__).warning("segmenter cache folder %s is not ours; not used", folder)
                continue
            if uid is not None and stat.S_IMODE(info.st_mode) & 0o077:
                folder.chmod(0o700)  # ours, but others could write or list it
            return folder
        except OSError as exc:
            logging.getLogger(__name__).debug("segmenter cache folder %s unusable: %s", folder, exc)
    return None


@cache
def segmenter() -> Segmenter:
    """The segmenter, from a cache file when it verifies against the dictionaries and code it came from.

    Building it means loading jieba's dictionary (~0.85 s); the cache loads in ~0.2 s. That is paid by
    every process that tokenizes: the UI, each CLI call, ingest's writer. The cache lives in a folder only
    this user can write, and holds the key it was built for and a digest of its contents: a file that
    does not verify is rebuilt, never trusted.
    """
    key = segmenter_cache_key()
    folder = private_cache_dir()
    path = folder / f"segmenter-{key[:16]}.marshal" if folder else None
    cached = _cached_segmenter(path, key) if path else None
    if cached is not None:
        return cached
    built = Segmenter.from_jieba(tokenizer())
    if path is not None:
        payload = marshal.dumps((built.logp, built.unknown))
        try:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(_CACHE_MAGIC + key.encode("ascii") + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except OSError as exc:
            logging.getLogger(__name__).debug("segmenter cache not written to %s: %s", path, exc)
    return built


def _cached_segmenter(path: Path, key: str) -> Segmenter | None:
    """The segmenter saved at `path`, or None when there is none or it does not verify."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = _CACHE_MAGIC + key.encode("ascii")
    digest, payload = data[len(head):len(head) + 32], data[len(head) + 32:]
    if not data.startswith(head) or hashlib.sha256(payload).digest() != digest:
        logging.getLogger(__name__).info("segmenter cache %s does not verify; rebuilding it", path)
        return None
    try:
        logp, unknown = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return Segmenter(logp, unknown) if isinstance(logp, dict) and isinstance(unknown, float) else None


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


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？；or a line end; never splits inside a number."""
    return list(_sentences(text) if len(text) <= KEPT_TEXT_CHARS else _split(text))


def _split(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENT_SPLIT.split(text) if s and s.strip())


# The answerer splits every retrieved chunk, question after question: kept per text, like the tags
_sentences = lru_cache(maxsize=_SENTENCE_TAGS_KEPT)(_split)


# ---------------------------------------------------------------- dates

# 上年 is only rewritten when it stands alone: 比上年/较上年/上年同期 are comparison bases, and 当年
# ('落户当年') refers to the year in the sentence, so both keep their words.
_CN_YEAR_WORDS = {"前年": -2, "去年": -1, "上年": -1, "上一年": -1, "今年": 0, "本年": 0, "明年": 1}
_REL_YEAR = re.compile(r"(?<![比较同])(?:前年|去年|上一年|上年(?!同期)|今年|本年|明年)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年")
_BARE_MONTHS = re.compile(r"(?<![年\d])(\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月)")
_BARE_FULL_YEAR = re.compile(r"(?<![年\d])全年")


def years_in(text: str) -> list[str]:
    return _YEAR.findall(text)


def resolve_dates(text: str, doc_year: int | None, default_year: int | None = None) -> str:
    """Rewrite 去年/今年/明年/上年 to absolute years and give bare 全年 / 1—11月 the year in force.

    The year in force for a bare period is the last explicit year earlier in the same text, else
    `default_year` (the year the document mostly reports on). Quotes keep the original words; this
    rewritten form is what gets indexed and compared. Kept per (text, years) up to KEPT_TEXT_CHARS: the
    answerer rewrites the sentences of every retrieved chunk again for each question (ingest's whole
    documents are not kept).
    """
    if len(text) <= KEPT_TEXT_CHARS:
        return _resolved(text, doc_year, default_year)
    return _resolve(text, doc_year, default_year)


def _resolve(text: str, doc_year: int | None, default_year: int | None) -> str:
    """Each rewrite runs only on a text holding the character its pattern cannot match without (年, 月,
    全年): the answerer resolves every candidate of a new question, and most hold no relative year or bare
    period, which a substring test rules out for a fraction of a regular expression's scan."""
    if doc_year is not None and "年" in text:
        text = _REL_YEAR.sub(lambda m: f"{doc_year + _CN_YEAR_WORDS[m.group(0)]}年", text)
    if default_year is None:
        return text

    def year_before(pos: int) -> int:
        found = _YEAR.findall(text[:pos])
        return int(found[-1]) if found else int(default_year or 0)

    if "月" in text:
        text = _BARE_MONTHS.sub(lambda m: f"{year_before(m.start())}年{m.group(1)}", text)
    if "全年" in text:
        text = _BARE_FULL_YEAR.sub(lambda m: f"{year_before(m.start())}年全年", text)
    return text


_resolved = lru_cache(maxsize=_SENTENCE_TAGS_KEPT)(_resolve)


_DATE_LINE = re.compile(
    r"(?:发布日期|发布时间|印发日期|成文日期|日期)\s*[:：]?\s*((?:19|20)\d\d)\s*[年\-/.]\s*(\d{1,2})(?:\s*[月\-/.]\s*(\d{1,2}))?"
)
_DATE_PAREN = re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日\s*(?:印发|发布)")
_DATE_NAME = re.compile(r"((?:19|20)\d\d)[-_.年]?(0[1-9]|1[0-2])(?:[-_.月]?([0-3]\d))?")
_FUTURE = re.compile(r"((?:19|20)\d\d)年\s*[，,]?\s*(?:我们将|我们要|将|要|计划|力争|预计|目标)")
_EFFECTIVE = re.compile(r"自\s*((?:19|20)\d\d年\d{1,2}月\d{1,2}日)\s*起\s*施行")
_VALID = re.compile(r"有效期\s*(?:至|到)?\s*((?:19|20)\d\d年\d{1,2}月\d{1,2}日|\d+\s*年)")


def _fmt(y: str, m: str | None = None, d: str | None = None) -> str:
    return "-".join([y] + [f"{int(x):02d}" for x in (m, d) if x])


def detect_date(text: str, file_name: str = "", given: str = "") -> str:
    """The document's date as YYYY[-MM[-DD]]: a given field, a 发布日期/印发 line, the file name,
    or the latest year the text speaks of in the future tense ("2026年，我们将")."""
    if given.strip():
        m = re.search(r"((?:19|20)\d\d)(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?", normalize(given))
        if m:
            return _fmt(*m.groups())
    head, tail = normalize(text[:3000]), normalize(text[-1500:]) if len(text) > 3000 else ""
    for pattern in (_DATE_LINE, _DATE_PAREN):
        m = pattern.search(head) or (pattern.search(tail) if tail else None)
        if m:
            return _fmt(*m.groups())
    m = _DATE_NAME.search(file_name)
    if m:
        return _fmt(*m.groups())
    future = [int(y) for y in _FUTURE.findall(text)]
    return str(max(future)) if future else ""


def detect_validity(text: str) -> str:
    """Policies: '施行 2026年3月1日；有效期 3年' style summary of when the document applies."""
    parts = []
    if m := _EFFECTIVE.search(text):
        parts.append(f"自{m.group(1)}起施行")
    if m := _VALID.search(text):
        parts.append(f"有效期{'至' if '日' in m.group(1) else ''}{m.group(1)}")
    return "；".join(parts)


def default_year_of(text: str, doc_year: int | None) -> int | None:
    """The year a document mostly reports on: the most-mentioned year not after its own date."""
    resolved = resolve_dates(text, doc_year)
    counts: dict[int, int] = {}
    for y in years_in(resolved):
        if doc_year is None or int(y) <= doc_year:
            counts[int(y)] = counts.get(int(y), 0) + 1
    if counts:
        return max(counts, key=lambda y: (counts[y], y))
    return doc_year
