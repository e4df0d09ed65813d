"""jieba's part-of-speech tagger with the same output at several times the speed.

Tagging a sentence with jieba.posseg costs ~5 ms, most of it in its HMM Viterbi over runs of characters the
dictionary does not know (names, places): for every character it tries every state of the previous
character against every state of this one in a Python loop (~40 x 80 pairs). The answerer tags the
candidate sentences of every new question (names for who/where questions, agreement's words), so this
was the largest part of what a question over text the process has not seen yet costs (bench/profile_ask.py).

`viterbi` below takes each character's step as one numpy sum and arg-max over the model's tables as arrays,
with the same sums in the same order and the same tie-break (the larger state), so its path and score are
jieba's, bit for bit; and the tagger walks the dictionary route of app.segmenter.Segmenter (one pass) in place
of jieba's DAG then calc. tests/test_postag.py compares both with jieba's. jieba's own module is left
untouched for everyone else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import jieba.posseg as posseg
import numpy as np
from jieba.posseg.viterbi import viterbi as jieba_viterbi

from app.text import KEPT_TEXT_CHARS, kept_elsewhere
from app.tokens import route_pieces

MIN_FLOAT = -3.14e100  # jieba's emission log-probability of a character a state never emits
MIN_INF = float("-inf")  # jieba's log-probability of a transition the model does not have

State = tuple[str, str]
KEPT_CHARS = 4096  # characters whose state mask and emissions are kept as arrays (~2.3 KB each: ~9 MB at most)
KEPT_STATE_SETS = 16384  # sets of previous states whose reachable states are kept (256 bytes each: ~4 MB at most)
KEPT_BLOCKS = 8192  # blocks whose words and tags are kept (short texts: ~1 KB each at most)


class _Dense:
    """The model's tables as arrays over its states in sorted order (so that a larger index is a larger
    state, jieba's tie-break): transition log-probabilities with -inf where the model has none, which
    transitions exist, and each character's emissions and possible states (built when first seen)."""

    def __init__(self, states: Mapping[str, tuple[State, ...]], start_p: Mapping[State, float],
                 trans_p: Mapping[State, Mapping[State, float]], emit_p: Mapping[State, Mapping[str, float]]) -> None:
        self.tables = (states, start_p, trans_p, emit_p)  # held, so that the ids this model is kept by stay theirs
        self.names: list[State] = sorted(trans_p)
        self.index = {y: i for i, y in enumerate(self.names)}
        n = len(self.names)
        self.trans = np.full((n, n), MIN_INF)
        for y0, row in trans_p.items():
            for y, tr in row.items():
                self.trans[self.index[y0], self.index[y]] = tr
        self.exists = np.zeros((n, n), dtype=bool)
        for y0, row in trans_p.items():
            self.exists[self.index[y0], [self.index[y] for y in row]] = True
        self.has_next: np.ndarray = np.asarray(self.exists.any(axis=1))
        self.start = np.array([start_p[y] for y in self.names])
        self.all_states = np.ones(n, dtype=bool)
        # each character's own states and their emissions, read once here (a few ms for the model's ~6,600
        # characters) so that a character met the first time costs no dictionary walk per state
        self.listed = {char: ([self.index[y] for y in ys], [emit_p[y].get(char, MIN_FLOAT) for y in ys])
                       for char, ys in states.items()}
        self._chars: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._expected: dict[bytes, np.ndarray] = {}

    def expected(self, rows: np.ndarray) -> np.ndarray:
        """The states some transition out of `rows` reaches (kept per set of rows: a run's steps mostly
        come from the few state sets its characters share, and reducing the rows' table costs the most)."""
        key = rows.tobytes()
        kept = self._expected.get(key)
        if kept is None:
            kept = self.exists[rows].any(axis=0)
            if len(self._expected) < KEPT_STATE_SETS:
                self._expected[key] = kept
        return kept

    def char(self, char: str) -> tuple[np.ndarray, np.ndarray]:
        """The states the character may take (all when the model lists none) and their emission
        log-probabilities of it (MIN_FLOAT elsewhere: read only where `emission` fills them in)."""
        kept = self._chars.get(char)
        if kept is None:
            listed = self.listed.get(char)
            if listed is None:  # a character the model does not list (rare): not kept
                return self.all_states, self.emission(char)
            at, probs = listed
            mask = np.zeros(len(self.names), dtype=bool)
            mask[at] = True
            emit = np.full(len(self.names), MIN_FLOAT)
            emit[at] = probs
            kept = (mask, emit)
            if len(self._chars) < KEPT_CHARS:
                self._chars[char] = kept
        return kept

    def emission(self, char: str) -> np.ndarray:
        """Every state's emission log-probability of the character (a step whose states are not the
        character's own: jieba's fallback to all the states expected)."""
        emit_p = self.tables[3]
        return np.array([emit_p[y].get(char, MIN_FLOAT) for y in self.names])


_MODELS: dict[tuple[int, ...], _Dense] = {}


def viterbi(
    obs: str,
    states: Mapping[str, tuple[State, ...]],
    start_p: Mapping[State, float],
    trans_p: Mapping[State, Mapping[State, float]],
    emit_p: Mapping[State, Mapping[str, float]],
) -> tuple[float, list[State]]:
    """jieba.posseg.viterbi.viterbi over arrays: each character's step is one sum and one arg-max over the
    (previous, next) pairs of the states in play, not a Python loop over them.

    jieba scores each pair as (V[previous] + trans.get(next, -inf)) + emit[next] and keeps the max of
    (score, previous): the same sums in the same order here, and the arg-max taken over the previous states
    from the largest down, so that a tie (and a column of -inf, where no transition reaches the state) goes
    to the largest previous state, as jieba's max of tuples does. The states in play are jieba's: those with
    a transition out of the previous step's, narrowed to the ones the character may take."""
    model = _MODELS.get((id(states), id(start_p), id(trans_p), id(emit_p)))
    if model is None:
        model = _MODELS[(id(states), id(start_p), id(trans_p), id(emit_p))] = _Dense(states, start_p, trans_p, emit_p)
    mask, emit = model.char(obs[0])
    # the present states (ascending) and their scores, compact: each step reads only these
    cols = mask.nonzero()[0]
    v = model.start[cols] + emit[cols]
    back: list[tuple[np.ndarray, np.ndarray]] = []  # per step: its states and the best previous state of each
    for t in range(1, len(obs)):
        going = model.has_next[cols]
        rows, v = cols[going], v[going]
        if not len(rows):  # jieba fails here (max of nothing); let it fail the same way
            return jieba_viterbi(obs, states, start_p, trans_p, emit_p)
        expected = model.expected(rows)
        mask, emit = model.char(obs[t])
        present = mask & expected
        if not present.any():
            present = expected
            emit = model.emission(obs[t])
        cols = present.nonzero()[0]
        # largest previous state first: argmax takes the first of equal maxima
        down = (v[::-1, None] + model.trans[rows[::-1, None], cols]) + emit[cols][None, :]
        back.append((cols, rows[::-1][down.argmax(axis=0)]))
        v = down.max(axis=0)
    last = v[::-1].argmax()
    state = int(cols[::-1][last])
    prob = float(v[::-1][last])
    route: list[State] = [("", "")] * len(obs)
    for i in range(len(obs) - 1, -1, -1):
        route[i] = model.names[state]
        if i:
            at, prev = back[i - 1]
            state = int(prev[np.searchsorted(at, state)])
    return prob, route


def _model() -> _Dense:
    """The dense model of jieba's tagger tables (built once per process: ~60 ms, ~3 MB)."""
    tables = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
    key = tuple(map(id, tables))
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = _Dense(*tables)
    return model


class POSTokenizer(posseg.POSTokenizer):
    """jieba's POSTokenizer with `viterbi` above in place of its own and, given `ends` (the max-probability
    route over the same dictionary, app.segmenter.Segmenter.ends), that route in place of jieba's DAG walk;
    everything else is jieba's. The model's arrays are built here, when the tagger is made, not by the first
    sentence tagged."""

    def __init__(self, tokenizer: Any = None, ends: Callable[[str], list[int]] | None = None) -> None:
        super().__init__(tokenizer)
        self.ends = ends
        # One question's words are tagged three times (the follow-up check, the facet split, the analysis)
        # and again whenever it is asked, candidate sentences each time they are retrieved: a block's tags
        # depend on its text alone (the dictionary never changes in a process), so they are kept per block.
        self._kept = kept_elsewhere(lru_cache(maxsize=KEPT_BLOCKS)(self._block_tags))
        _model()

    def _POSTokenizer__cut_DAG(self, sentence: str) -> Iterator[posseg.pair]:
        """jieba's POSTokenizer.__cut_DAG over `ends`' route, where one is given (kept per block)."""
        if self.ends is None:
            yield from super()._POSTokenizer__cut_DAG(sentence)
            return
        words = self._kept(sentence) if len(sentence) <= KEPT_TEXT_CHARS else self._block_tags(sentence)
        for word, flag in words:
            yield posseg.pair(word, flag)

    def _block_tags(self, sentence: str) -> tuple[tuple[str, str], ...]:
        """The (word, tag) pairs of one block, as jieba's __cut_DAG yields them."""
        return tuple((p.word, p.flag) for p in self._cut_route(sentence))

    def _cut_route(self, sentence: str) -> Iterator[posseg.pair]:
        """jieba's POSTokenizer.__cut_DAG (same lines) over `ends`' route."""
        assert self.ends is not None
        tags = self.word_tag_tab
        for piece, single in route_pieces(sentence, self.ends(sentence)):
            if single:
                yield from self._buffered(piece)
            else:
                yield posseg.pair(piece, tags.get(piece, "x"))

    def dictionary_pass(self, sentence: str) -> tuple[tuple[str, str | None], ...]:
        """What `_cut_route` decides from the dictionary alone, in order: its words of two or more characters
        with their tags, and the runs of single characters it hands to the HMM, tagged None (`hmm_words` tags
        them; the single characters it keeps are left out). A caller after the names of one kind reads the
        dictionary's words first and runs the HMM only where they do not settle it (app/tags.py has_name):
        the HMM is most of what a new block costs."""
        assert self.ends is not None
        tags, out = self.word_tag_tab, []
        for piece, single in route_pieces(sentence, self.ends(sentence)):
            if not single:
                out.append((piece, tags.get(piece, "x")))
            elif len(piece) > 1 and not self.tokenizer.FREQ.get(piece):
                out.append((piece, None))
        return tuple(out)

    def hmm_words(self, run: str) -> tuple[tuple[str, str], ...]:
        """The (word, tag) pairs of one run `dictionary_pass` hands to the HMM, as `_buffered` yields them."""
        return tuple((p.word, p.flag) for p in self._POSTokenizer__cut_detail(run))

    def _buffered(self, buf: str) -> Iterator[posseg.pair]:
        """jieba's handling of a run of single characters in __cut_DAG: a word of the dictionary stays its
        characters, anything else goes to the HMM (__cut_detail)."""
        tags = self.word_tag_tab
        if len(buf) == 1:
            yield posseg.pair(buf, tags.get(buf, "x"))
        elif not self.tokenizer.FREQ.get(buf):
            yield from self._POSTokenizer__cut_detail(buf)
        else:
            for elem in buf:
                yield posseg.pair(elem, tags.get(elem, "x"))

    def _POSTokenizer__cut(self, sentence: str) -> Iterator[posseg.pair]:
        """jieba's POSTokenizer.__cut with the faster viterbi (same lines otherwise)."""
        _, pos_list = viterbi(sentence, posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield posseg.pair(sentence[begin : i + 1], pos_list[i][1])
                nexti = i + 1
            elif pos == "S":
                yield posseg.pair(char, pos_list[i][1])
                nexti = i + 1
        if nexti < len(sentence):
            yield posseg.pair(sentence[nexti:], pos_list[nexti][1])
