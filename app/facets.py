"""Facet splitting: a question about two things ('A和B分别…'), or two questions in one line, asked part by part.

`analyze()` (app/query.py) keeps the parts as the plan's facets; the question words it reads (which kind is
asked) live there.
"""

from __future__ import annotations

import re

from app.constraints import HAN
from app.query import _KIND_ASKED, _asking_spans, _first
from app.tags import pos_tag, pos_tokenizer
from app.text import normalize

_COORD = frozenset({"和", "与", "及", "以及", "、"})
_EACH_ONLY = frozenset({"与", "、"})  # coordinating words that split only a question asking for each part
_ONE_ANSWER = frozenset({"list", "conditions", "reason"})  # asked kinds one passage answers for all parts
_BOUNDARY = frozenset({"的", "分别", "是", "在", "，", ",", "？", "?", "各", "都"})


def sub_questions(question: str) -> list[str]:
    """'2025年人工智能和集成电路产业营收分别是多少' -> ['2025年人工智能产业营收是多少',
    '2025年集成电路产业营收是多少'].

    A question about two things is asked once for each. Of several coordinating words the one joining
    the most specific terms is split ('企业和机构参加了平湖农博会和嘉兴车展' splits the fairs). The two
    terms are aligned on jieba's words: a word the right-hand term repeats from the left one bounds both
    ('2022年和2023年', '东湖街道和新桥街道'); otherwise the right-hand term grows until it
    is as long as the left one ('冬奥会和冬残奥会'), and a two-word right term takes a two-word left one
    ('平湖农博会和嘉兴车展'); a number standing alone on the right takes the left term's head
    ('PHDX2024和2025'). This is the one place a question is split: `analyze()` keeps the parts as facets.
    Returns [] when the question is about one thing.
    """
    from app.tokens import tokenizer

    text = normalize(question)
    if asked := _asking_clauses(text):
        return asked
    words = [w for w in tokenizer().cut(text) if w.strip()]
    each = _distributive(words)
    # Without a word that asks for each part, only 和/及/以及 split, and only a question for one value per part
    # (a figure, a date, a name): 与 joins the parts of one name ('机器人与数控机床产业集群'), 、 enumerates
    # inside one noun phrase or lists conditions ('对迟到、早退的职工'), and a question for a list, a way
    # or a reason about 'A和B' is answered by the one passage that treats them together.
    by_value = _first("asked", text, "") not in _ONE_ANSWER
    splits = [
        s for i, w in enumerate(words)
        if w in _COORD and (each or (w not in _EACH_ONLY and by_value)) and 0 < i < len(words) - 1
        and (s := _conjuncts(words, i))
    ]
    if not splits:
        return []
    freq = tokenizer().FREQ
    start, i, end = min(splits, key=lambda s: max(freq.get(words[s[1] - 1], 0), freq.get(words[s[2] - 1], 0)))
    head, left, right, tail = ("".join(words[a:b]) for a, b in ((0, start), (start, i), (i + 1, end), (end, len(words))))
    if right.isdigit() and (m := re.match(r"^(.*?)(\d+)$", left)) and m.group(1):
        right = m.group(1) + right  # 'PHDX2024和2025' -> 'PHDX2025'
    return [(head + left + tail).replace("分别", ""), (head + right + tail).replace("分别", "")]


_CLAUSE = re.compile(r"[,，?？;；]")
_PREDICATE = ("v", "ul", "d", "p")


def _asking_clauses(text: str) -> list[str]:
    """'石化行业产值是多少，在嘉兴排第几？' -> ['石化行业产值是多少', '石化行业产值在嘉兴排第几'].

    Two questions in one line, each clause with its own question word, ask two values: each is asked on its
    own, the later clauses with what the first is about (its words without its question word, the measure
    after it and the predicate before it: '2025年有多少家企业成功升规？新增产值多少？' -> '2025年企业成功升规
    新增产值多少'), since a later clause rarely repeats its subject. Clauses that ask nothing before the first
    question ('在2025年，…') belong to every part; one after it leaves the question whole (it may qualify
    either part). A first clause that is all question ('什么是专精特新企业') lends its naming words. Returns []
    unless at least two clauses ask."""
    clauses = [c for c in _CLAUSE.split(text) if c.strip()]
    asking = [_asks(c) for c in clauses]
    if sum(asking) < 2 or not all(asking[asking.index(True):]):
        return []
    first = asking.index(True)
    lead = "".join(clauses[:first])
    about = _without_question(clauses[first]) or _named_in(clauses[first])
    return [lead + clauses[first], *(lead + about + c for c in clauses[first + 1:])]


_ASKING_WORD = re.compile(r"^(?:第?几|[哪谁何]|多少|什么)(?![哪几谁何十百千万亿])")
_NOT_ASKING_TAGS = ("d", "c", "m", "nr", "ns", "nt", "nz")


def _asking_word(word: str, flag: str) -> bool:
    """Whether a tagged word asks: it starts with a question word ('多少', '几家', '第几', '哪些', '谁') and jieba
    tags it neither an adverb or conjunction that only starts like one ('几乎', '何况') nor a name ('何立峰': the
    surname 何). jieba tags counting question words numerals ('多少', '几家' m), so a numeral asks unless a
    numeral follows its question word ('几百家', '几十个': an approximate number); a question word followed by
    another ('几何', geometry) is a word of its own. A word that is whole one of question_words.json's asked
    kinds asks whatever its tag ('何时', which jieba tags a conjunction)."""
    if not _ASKING_WORD.match(word):
        return False
    return flag == "m" or not flag.startswith(_NOT_ASKING_TAGS) or (0, len(word)) in _asking_spans(word)


def _asks(clause: str) -> bool:
    """Whether a clause has a word that asks (`_asking_word`)."""
    return any(_asking_word(p.word, p.flag) for p in pos_tokenizer().cut(clause))  # type: ignore[attr-defined]


def _without_question(clause: str) -> str:
    """The clause without its first question word, the measure word after it and the predicate words before
    it ('签约了多少个人工智能项目' -> '人工智能项目'): what the clause asks about. After 多少 / 几 the noun is the
    counted thing, kept; after 什么 / 哪 it is the kind of answer asked ('是什么类型的电影'), dropped."""
    tagged = [(p.word, p.flag) for p in pos_tokenizer().cut(clause)]  # type: ignore[attr-defined]
    at = next((i for i, (w, f) in enumerate(tagged) if _asking_word(w, f)), None)
    if at is None:
        return clause
    start, end = at, at + 1
    while start > 0 and tagged[start - 1][1] in _PREDICATE:
        start -= 1
    if _KIND_ASKED.search(tagged[at][0]):
        end = len(tagged)  # '是什么类型的电影', '哪家企业': the words after ask the kind of answer, they are not its topic
    elif end < len(tagged) and (tagged[end][1] == "q" or (len(tagged[end][0]) == 1 and HAN.fullmatch(tagged[end][0]))):
        end += 1  # '多少个', and '多少项' / '多少钱' though jieba tags 项 and 钱 nouns: a measure is one character
    return "".join(w for w, _ in tagged[:start] + tagged[end:])


def _named_in(clause: str) -> str:
    """The clause without its question word, the predicate words next to it and pronouns: what a clause asks
    about when `_without_question` leaves nothing ('什么是专精特新企业': after 什么 every word is dropped as the
    asked kind, yet 专精特新企业 is the subject the later clauses ask about)."""
    tagged = [(p.word, p.flag) for p in pos_tokenizer().cut(clause)]  # type: ignore[attr-defined]
    at = next(i for i, (w, f) in enumerate(tagged) if _asking_word(w, f))
    start, end = at, at + 1
    while start > 0 and tagged[start - 1][1] in _PREDICATE:
        start -= 1
    while end < len(tagged) and tagged[end][1] in _PREDICATE:
        end += 1
    return "".join(w for w, f in tagged[:start] + tagged[end:] if not f.startswith(("r", "x")))


def _distributive(words: list[str]) -> bool:
    """Whether the question asks for each part: 分别 or 各自 as an adverb (not the noun '的分别', a
    difference), or 各 standing before a verb ('各增长了多少'; '各单位', '各县' only pick out units)."""
    for i, w in enumerate(words):
        after_de = i > 0 and words[i - 1] == "的"
        if w in ("分别", "各自") and not after_de:
            return True
        if w == "各" and i + 1 < len(words) and pos_tag(words[i + 1]).startswith(("v", "d")):
            return True
    return False


def _conjuncts(words: list[str], i: int) -> tuple[int, int, int] | None:
    """(start of the left term, the coordinating word, end of the right term) around words[i]."""
    limit = min(len(words), i + 8)
    stop = next((j for j in range(i + 1, limit) if words[j] in _BOUNDARY), limit)
    repeat = next((j for j in range(i + 1, stop) if words[j] == words[i - 1]), None)
    if repeat is not None and repeat - i <= i:  # '2022年和2023年': both terms end on the same word
        return None if _one_span(words, repeat + 1) else (i - (repeat - i), i, repeat + 1)
    start = next((p for p in range(i - 1, max(-1, i - 5), -1) if words[p] == words[i + 1]), i - 1)
    if start == i - 1 and len(words[start]) == 1 and start > 0 and words[start - 1].isdigit():
        start -= 1  # '2022年' split by jieba into '2022' '年'
    if words[start] in _BOUNDARY:
        return None
    if start == i - 1 and start > 0 and len(words[start - 1]) == 1 and pos_tag(words[start - 1]) == pos_tag(words[start]) == pos_tag(words[i + 1]) == "nr":
        return start - 1, i, i + 2  # a name jieba cut into a one-character and a two-character name: two names
    width = len("".join(words[start:i]))
    end = i + 2
    while end < stop and len("".join(words[i + 1 : end])) < width:
        end += 1
    while end < stop and _modifier(words[end - 1]):
        end += 1  # '揭牌仪式及首次座谈会': a term never ends on its modifier ('首次'), the head it modifies follows
    one_word = start == i - 1 and end - i - 1 == 2 and len(words[i + 1]) >= 2
    if one_word and start > 0 and len(words[start - 1]) > 1 and words[start - 1] not in _BOUNDARY and not words[start - 1].isdigit():
        start -= 1  # '成都大运会和杭州亚运会': a modifier and a head on the right, so on the left too (not '年')
    if width > 12 or len("".join(words[i + 1 : end])) > 12:
        return None
    return None if _one_span(words, end) else (start, i, end)


def _modifier(word: str) -> bool:
    """A word that modifies the noun after it and names nothing alone: an ordinal or a quantity word in
    characters ('首次', '第一'), a distinguishing word ('大型'); a number in digits is a term ('2025')."""
    return not any(ch.isdigit() for ch in word) and pos_tag(word) in ("m", "b")


def _one_span(words: list[str], end: int) -> bool:
    """'A和B之间的区别': a localizer after the right term makes the two terms one place or span, asked about
    once; a part would ask about 'A之间', which nothing answers."""
    return end < len(words) and len(words[end]) > 1 and pos_tag(words[end]) == "f"
