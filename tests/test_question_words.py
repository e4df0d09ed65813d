"""The one list of words that ask (question_words.json 'interrogatives') and the tests built from it: a tagged
word that asks, a running sentence that asks, the kind and count question words. Real jieba tags."""

from __future__ import annotations

import pytest

from app.question_words import (
    ASKS_IN_TEXT,
    COUNT,
    KIND,
    asking_word,
    interrogative,
    question_word_lists,
    words_of,
)
from app.tags import pos_tokenizer


def _tagged(text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in pos_tokenizer().cut(text)]  # type: ignore[attr-defined]


def test_every_test_reads_the_one_list() -> None:
    listed = {word for _, word in question_word_lists()["interrogatives"]}
    assert set(question_word_lists()["ambiguous_in_text"]) <= listed
    assert words_of("kind")[0] != "哪"  # longest first: '哪些' is matched whole before '哪'


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("这批设备共有多少台？", True),
        ("他排在第几名？", True),
        ("哪些单位参加了培训？", True),
        ("培训由谁主讲？", True),
        ("几乎所有单位都参加了培训。", False),  # an adverb that starts like 几
        ("何况培训已经结束。", False),  # a conjunction that starts like 何
        ("几百家单位参加了培训。", False),  # an approximate number
    ],
)
def test_a_tagged_word_asks(text: str, asks: bool) -> None:
    assert any(asking_word(w, f) for w, f in _tagged(text)) is asks


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("培训安排在哪些日子？", True),
        ("这样做对吗", True),
        ("哪怕下雨，培训也照常进行。", False),  # 哪 in running text: 'even if'
        ("任何单位都可以报名。", False),
        ("几个单位报了名。", False),
    ],
)
def test_a_running_sentence_asks_only_by_words_that_cannot_mean_any(sentence: str, asks: bool) -> None:
    assert bool(ASKS_IN_TEXT.search(sentence)) is asks


def test_kind_count_and_interrogative() -> None:
    assert KIND.search("哪家") and KIND.search("什么") and not KIND.search("多少")
    assert [m.group(1) for m in COUNT.finditer("有多少家，几个人")] == ["家", "个"]
    assert interrogative("何时") and interrogative("哪天") and not interrogative("时间")
