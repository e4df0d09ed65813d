"""jieba's part-of-speech tagger with the same output at several times the speed.

Tagging a sentence with jieba.posseg costs ~5 ms, nine tenths of it in its HMM Viterbi over runs of
characters the dictionary does not know (names, places): for every character it tries every state of the
previous character against every state of this one (~40 × 40 pairs), although each state can only be
followed by ~20 others. The answerer tags the top candidate sentences of every question, so this was the
largest fixed cost of a question on a small knowledge base (bench/profile_ask.py).

`viterbi` below visits only the transitions the model has, adds the same terms in the same order and breaks
ties the same way (the larger state), so its path is jieba's, bit for bit; tests/test_postag.py compares
the two taggers word for word. jieba's own module is left untouched for everyone else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jieba.posseg as posseg
from jieba.posseg.viterbi import viterbi as jieba_viterbi

MIN_FLOAT = -3.14e100  # jieba's emission log-probability of a character a state never emits
MIN_INF = float("-inf")  # jieba's log-probability of a transition the model does not have

State = tuple[str, str]


def viterbi(
    obs: str,
    states: Mapping[str, tuple[State, ...]],
    start_p: Mapping[State, float],
    trans_p: Mapping[State, Mapping[State, float]],
    emit_p: Mapping[State, Mapping[str, float]],
) -> tuple[float, list[State]]:
    """jieba.posseg.viterbi.viterbi, visiting only existing transitions.

    jieba scores each (previous, next) pair as V[previous] + trans.get(next, -inf) + emit[next], and keeps
    the max of (score, previous). A missing transition scores -inf, which loses to any finite score; only
    when every candidate is -inf does the tie-break (the largest previous state) decide, and then over all
    previous states, as jieba's max does."""
    all_states = trans_p.keys()
    V: dict[State, float] = {}
    paths: list[dict[State, Any]] = [{}]
    for y in states.get(obs[0], all_states):
        V[y] = start_p[y] + emit_p[y].get(obs[0], MIN_FLOAT)
        paths[0][y] = ""
    for t in range(1, len(obs)):
        char = obs[t]
        prev_states = [x for x in paths[-1] if len(trans_p[x]) > 0]
        if not prev_states:  # jieba fails here (max of nothing); let it fail the same way
            return jieba_viterbi(obs, states, start_p, trans_p, emit_p)
        expected = {y for x in prev_states for y in trans_p[x]}
        obs_states = set(states.get(char, all_states)) & expected
        if not obs_states:
            obs_states = expected
        emit = {y: emit_p[y].get(char, MIN_FLOAT) for y in obs_states}
        best: dict[State, tuple[float, State]] = {}
        for y0 in prev_states:
            v0 = V[y0]
            for y, tr in trans_p[y0].items():
                if y in emit:
                    cand = (v0 + tr + emit[y], y0)
                    if y not in best or cand > best[y]:
                        best[y] = cand
        fallback = max(prev_states)  # every candidate -inf: jieba's max picks the largest previous state
        V_next: dict[State, float] = {}
        path: dict[State, State] = {}
        for y in obs_states:
            prob, state = best.get(y, (MIN_INF, fallback))
            if prob == MIN_INF:
                state = fallback
            V_next[y] = prob
            path[y] = state
        V = V_next
        paths.append(path)
    prob, state = max((V[y], y) for y in paths[-1])
    route: list[State] = [("", "")] * len(obs)
    i = len(obs) - 1
    while i >= 0:
        route[i] = state
        state = paths[i][state]
        i -= 1
    return prob, route


class POSTokenizer(posseg.POSTokenizer):
    """jieba's POSTokenizer with `viterbi` above in place of its own; everything else is jieba's."""

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
