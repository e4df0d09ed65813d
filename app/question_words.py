"""Which words ask: the one list of interrogatives (app/data/question_words.json, 'interrogatives') and the
tests every stage reads it through.

The plan (app/query.py), facet splitting (app/facets.py) and candidate ranking (app/rank.py) each need to know
whether a word asks; each used to write its own regular expression of question words, and the copies drifted
(几何 asked in one and was geometry in another). They are now built here from the one list, by the classes
its words carry: `interrogative` (does a text hold a question word), `asking_word` (does a tagged word ask),
`KIND` (the words whose noun names the asked kind), `COUNT` (a count's question word and the character after
it) and `ASKS_IN_TEXT` (a running sentence that asks: only the words that cannot mean 'any, some, a few').
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from app.text import DATA_DIR


@cache
def question_word_lists() -> dict[str, Any]:
    """app/data/question_words.json as written, read once for app.query, app.values and this module."""
    raw: dict[str, Any] = json.loads((DATA_DIR / "question_words.json").read_text(encoding="utf-8"))
    return raw


def words_of(*classes: str) -> tuple[str, ...]:
    """The interrogatives of the given classes (every class when none is given), longest first, so that an
    alternation of them matches '哪些' before '哪'."""
    listed = [word for cls, word in question_word_lists()["interrogatives"] if not classes or cls in classes]
    return tuple(sorted(listed, key=len, reverse=True))


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


# The classes whose words stand for what is asked (a thing, a number, a person); manner and reason words,
# the particle 吗 and the question mark ask how or why, or mark a question, and name no asked value; a degree
# word's adjective names the measure asked ('多高': a height), which stays a topic word of the question.
_VALUE_CLASSES = ("kind", "place", "count", "person", "classical")


def _stems(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words that hold no other word of the list ('哪' for '哪些', '哪里'; '几' for '几何')."""
    return tuple(w for w in words if not any(o != w and o in w for o in words))


_VALUE_STEMS = _stems(words_of(*_VALUE_CLASSES))
_INTERROGATIVE = re.compile(_alternation(_VALUE_STEMS))
# What a count asks with: its question word and the character after it ('多少家', '几个'), a measure when
# jieba tags it one (app.query cuts the question after it).
COUNT = re.compile(rf"(?:{_alternation(_stems(words_of('count')))})([\u4e00-\u9fff])")
# 什么 / 哪 + a noun: the noun names the kind of thing the question asks for ('什么机制', '哪些项目'); '是', '有',
# '签约了', '共' state the asked value, they do not say what it is of.
KIND = re.compile(_alternation(_stems(words_of("kind"))))
_SINGLE = "".join(w for w in _VALUE_STEMS if len(w) == 1)
# A tagged word asks when it starts with a question word (after the ordinal 第: '第几') that no other question
# word or numeral follows ('几百家', '几十个': an approximate number; '几何' alone is geometry).
_ASKING_WORD = re.compile(rf"^第?(?:{_alternation(_VALUE_STEMS)})(?![{_SINGLE}十百千万亿])")
_NOT_ASKING_TAGS = ("d", "c", "m", "nr", "ns", "nt", "nz")
# A running sentence asks when it has a word of the list that no other reading shares ('哪怕', '任何', '几个',
# '谁都', '许多大型' do not ask): app.rank takes no such sentence as an answer.
ASKS_IN_TEXT = re.compile(_alternation(tuple(w for w in words_of() if w not in question_word_lists()["ambiguous_in_text"])))


def interrogative(text: str) -> bool:
    """Whether a text holds a question word that stands for the asked value ('哪天', '多少', '何时'); the noun
    of what is asked ('时间', '条件') or a manner word without one ('怎样') holds none."""
    return bool(_INTERROGATIVE.search(text))


def asking_word(word: str, flag: str) -> bool:
    """Whether a tagged word asks: it starts with a question word ('多少', '几家', '第几', '哪些', '谁') and jieba
    tags it neither an adverb or conjunction that only starts like one ('几乎', '何况') nor a name ('何立峰': the
    surname 何). jieba tags counting question words numerals ('多少', '几家' m), so a numeral asks unless a
    numeral follows its question word ('几百家', '几十个': an approximate number); a question word followed by
    another ('几何', geometry) is a word of its own. A word that is whole one of question_words.json's asked
    kinds asks whatever its tag ('何时', which jieba tags a conjunction)."""
    if not _ASKING_WORD.match(word):
        return False
    return flag == "m" or not flag.startswith(_NOT_ASKING_TAGS) or _whole_asked_kind(word)


@cache
def _asked_kinds() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rx) for _, rx in question_word_lists()["asked"])


def _whole_asked_kind(word: str) -> bool:
    """Whether one of the asked-kind patterns, found first in the word, spans all of it and asks."""
    return any((m := rx.search(word)) is not None and m.span() == (0, len(word)) for rx in _asked_kinds()) and interrogative(word)


Tagged = tuple[tuple[str, str], ...]
_REASON_AS = tuple(w for w in words_of("reason") if w.startswith("为"))  # 为 is also the complement 'as'
_CLAUSE_END = ("x", "c", "y")  # punctuation, a conjunction ('及'), a modal particle ('呢')


def stands(start: int, end: int, tagged: Tagged) -> bool:
    """Whether a question word found at text[start:end] stands as a word of the question (jieba's words,
    `tagged`). In one that asks (it holds a word of the list) the word holding that word must
    start inside the match: in '称之为什么' and '因为什么罪行' 为什么 starts inside 称之为 / 因为 and asks no
    reason, while '有什么' asks where jieba glued 有 to the word before ('叶有' '什么'). A noun of the asked kind
    (时间, 标准) must end a word, as the head of a compound does ('出生日期'), not its modifier ('标准杆'). 为什么
    right after a verb other than 是, closing its clause ('更名为什么', '被誉为什么'), is that verb's 为 ('as') and
    什么: it asks a name, not a reason ('这是为什么' asks one)."""
    at, words = 0, []
    for word, flag in tagged:
        words.append((at, word, flag))
        at += len(word)
    found = _ANY.search(_text(tagged), start, end)
    if found is None:
        return any(a + len(w) == end for a, w, _ in words)
    i = next(i for i, (a, w, _) in enumerate(words) if a <= found.start() < a + len(w))
    return words[i][0] >= start and not _as_what(i, tagged)


_ANY = re.compile(_alternation(words_of()))


def _text(tagged: Tagged) -> str:
    return "".join(w for w, _ in tagged)


def _as_what(i: int, tagged: Tagged) -> bool:
    """Whether tagged[i] is 为什么 read as 为 ('as') + 什么 (`stands`)."""
    word = tagged[i][0]
    after = tagged[i + 1][1] if i + 1 < len(tagged) else "x"
    return (word in _REASON_AS and i > 0 and tagged[i - 1][1].startswith("v") and tagged[i - 1][0] != "是"
            and after.startswith(_CLAUSE_END))


_COUNT_STEMS = _stems(words_of("count"))


def _counts(tagged: Tagged) -> list[tuple[int, str]]:
    """(position, question word) of each count the question asks (`asks_count`)."""
    out, at = [], 0
    for i, (word, flag) in enumerate(tagged):
        stem = next((s for s in _COUNT_STEMS if word.startswith(s)), "")
        if stem and asking_word(word, flag) and not (i > 0 and KIND.search(tagged[i - 1][0])) and (
                (flag == "m" and len(word) > len(stem)) or (i + 1 < len(tagged) and tagged[i + 1][1] == "q")):
            out.append((at, stem))  # not '哪几门': which ones, a list
        at += len(word)
    return out


def asks_count(tagged: Tagged) -> bool:
    """Whether the question asks how many of something: a count's question word with the measure after it,
    glued into one numeral by jieba ('几首歌', '几所', '几类': tagged m) or a measure word of its own ('多少'
    '个'). The lists name a few measures ('几个', '几家'); jieba knows them all."""
    return bool(_counts(tagged))


def count_spans(tagged: Tagged) -> list[tuple[int, int]]:
    """Where the question word of each count stands ('几' of '几所'): it asks, it names no topic."""
    return [(at, at + len(stem)) for at, stem in _counts(tagged)]
