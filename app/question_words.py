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
# the particle 吗 and the question mark ask how or why, or mark a question, and name no asked value.
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
# A running sentence asks when it has a word of the list that no reading as 'any, some, a few' shares
# ('哪怕', '任何', '几个', '谁都' do not ask): app.rank takes no such sentence as an answer.
ASKS_IN_TEXT = re.compile(_alternation(tuple(w for w in words_of() if w not in question_word_lists()["indefinite"])))


def interrogative(text: str) -> bool:
    """Whether a text holds a question word that stands for the asked value ('哪天', '多少', '何时'); the noun
    of what is asked ('时间', '条件') or a manner word without one ('怎样') holds none."""
    return bool(_INTERROGATIVE.search(text))


def asking_word(word: str, flag: str) -> bool:
    """Whether a tagged word asks: it starts with a question word ('多少', '几家', '第几', '哪些', '谁') and jieba
    tags it neither an adverb or conjunction that only starts like one ('几乎', '何况') nor a name ('何立峰': the
    surname 何). jieba tags counting question words numerals ('多少', '几家' m), so a numeral asks unless a
    numeral follows its question word ('几百家', '几十个': an approximate number); a question word followed by
    another ('几何', geometry) is a word of its own."""
    if not _ASKING_WORD.match(word):
        return False
    return flag == "m" or not flag.startswith(_NOT_ASKING_TAGS)
