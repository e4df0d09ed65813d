"""The segmenter: jieba's search-mode cut over jieba's dictionary and ours, walked in one pass, and the
tokens the index keeps of it; built from a cache file only this user can write.

Ingest and query tokenize through the same route (app/tokens.py), so BM25 sees the same vocabulary both ways.
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
from functools import cache
from math import log
from pathlib import Path

import jieba

from app.text import DATA_DIR, STOPWORDS, normalize

_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)


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
    from app.tokens import tokenizer  # its cuts walk this segmenter's route: imported where one is built

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
