"""Question analysis: tokens (+synonyms), asked period, metric, question type."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.text import expand, normalize, pos_tag, resolve_dates, synonyms, tokenize, years_in

# Metric words and what else may stand for them in a source sentence.
METRICS: dict[str, tuple[str, ...]] = {
    "营收": ("营收", "营业收入", "收入"),
    "产值": ("产值",),
    "增加值": ("增加值",),
    "增速": ("增速", "增长", "增幅", "同比"),
    "投资": ("投资",),
    "供地": ("供地", "亩"),
    "资金": ("资金", "补助", "奖励", "激励"),
    "GDP": ("GDP", "地区生产总值", "生产总值"),
    "利润": ("利润",),
    "税收": ("税收", "税"),
    "出口": ("出口",),
    "销量": ("销量", "交付"),
}
_METRIC_ORDER = sorted(((w, m) for m, ws in METRICS.items() for w in ws), key=lambda x: -len(x[0]))

_BARE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d年.%])")
MONTH_SPAN = re.compile(r"\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月")
_LIST = re.compile(r"哪些|哪几|有什么|列举|分别是")
_HEADINGS = re.compile(r"(重点|主要|哪些|几项)(工作|任务|举措|措施|方向)")
_DATE_Q = re.compile(r"时间|什么时候|何时|哪天|哪一天|日期|哪年|哪一年|几月|几号")
_NUMERIC_Q = re.compile(r"多少|几[个家项亩名次位年%]|几$|增速|增幅|增长率|比例|比重|占比|规模|金额|数量|销量|交付量|票房|人数|排名第|第几")
_ENTITY_Q = re.compile(r"谁|哪家|哪个|哪位|哪支|哪国|什么|名称|名字|称号|冠军|是哪")
_PERSON_Q = re.compile(r"谁|哪位|什么人|导演|主演|演员|创始人|得主|局长|市长|总统|主席")
_PLACE_Q = re.compile(r"哪里|在哪|地点|哪个国家|哪国|哪个城市|哪座城市|哪个省|举办地")
_ORG_Q = re.compile(r"哪家|哪个公司|哪个企业|哪些企业|哪些公司|哪个单位")
_RANK_Q = re.compile(r"第几|排名|排第|位列|列第")


@dataclass(frozen=True)
class Query:
    text: str
    resolved: str
    tokens: tuple[str, ...]
    content: tuple[str, ...]
    years: tuple[str, ...]
    months: str
    metric: str
    qtype: str  # numeric | date | rank | entity | list | headings | other
    wants: str = ""  # for entity/list questions, the kind of name asked for: nr person, ns place, nt org
    today: dt.date | None = None  # what 去年/今年 were read against; parts of the question are read the same way


def analyze(question: str, today: dt.date | None = None) -> Query:
    """Understand what is asked; relative years (去年/今年) are read against `today`, the date the caller
    got from `Settings.question_date()` where the question entered. Without one they stay as written: the
    clock is never read here, so an answer does not change with the day the code runs."""
    text = normalize(question.strip())
    resolved = resolve_dates(text, today.year if today else None)
    years = tuple(dict.fromkeys(years_in(resolved) + _BARE_YEAR.findall(resolved)))
    months = m.group(0) if (m := MONTH_SPAN.search(resolved)) else ""
    metric = next((m for w, m in _METRIC_ORDER if w.lower() in resolved.lower()), "")
    base = tokenize(resolved)
    content = tuple(t for t in dict.fromkeys(base) if not t.isdigit() and t not in years)
    return Query(
        text=question.strip(),
        resolved=resolved,
        tokens=tuple(expand(base)),
        content=content,
        years=years,
        months=months,
        metric=metric,
        qtype=_qtype(resolved),
        wants=_wants(resolved),
        today=today,
    )


def _wants(q: str) -> str:
    if _PLACE_Q.search(q):
        return "ns"
    if _ORG_Q.search(q):
        return "nt"
    if _PERSON_Q.search(q):
        return "nr"
    return ""


def _qtype(q: str) -> str:
    if _HEADINGS.search(q):
        return "headings"
    if _DATE_Q.search(q):
        return "date"
    if _RANK_Q.search(q):
        return "rank"
    if _LIST.search(q):
        return "list"
    if _NUMERIC_Q.search(q):
        return "numeric"
    if _ENTITY_Q.search(q):
        return "entity"
    return "other"


def concept_groups(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each content token with its synonyms: a group is covered when any member appears."""
    table = synonyms()
    return [(t, *table.get(t, ())) for t in tokens]


_COORD = frozenset({"和", "与", "及", "以及", "、"})
_BOUNDARY = frozenset({"的", "分别", "是", "在", "，", ",", "？", "?", "各", "都"})
_BOTH_SEXES = re.compile(r"男女(?=单|双|团体|个人)")  # 男女单打 is two events; 男女比例 is one figure


def sub_questions(question: str) -> list[str]:
    """'2021年中国和美国经济分别增长了多少' -> ['2021年中国经济增长了多少', '2021年美国经济增长了多少'].

    A question about two things is asked once for each. Of several coordinating words the one joining
    the most specific terms is split ('国家和地区参加了北京冬奥会和杭州亚运会' splits the games). The two
    terms are aligned on jieba's words: a word the right-hand term repeats from the left one bounds both
    ('2022年和2023年', '女子双人10米跳台和男子双人10米跳台'); otherwise the right-hand term grows until it
    is as long as the left one ('冬奥会和冬残奥会'), and a two-word right term takes a two-word left one
    ('成都大运会和杭州亚运会'). '男女单打' asks for 男子单打 and 女子单打.
    Returns [] when the question is about one thing.
    """
    from app.text import tokenizer

    text = normalize(question)
    if _BOTH_SEXES.search(text) and not any(c in text for c in _COORD):
        return [_BOTH_SEXES.sub("男子", text, count=1).replace("分别", ""), _BOTH_SEXES.sub("女子", text, count=1).replace("分别", "")]
    words = [w for w in tokenizer().cut(text) if w.strip()]
    splits = [s for i, w in enumerate(words) if w in _COORD and 0 < i < len(words) - 1 and (s := _conjuncts(words, i))]
    if not splits:
        return []
    freq = tokenizer().FREQ
    start, i, end = min(splits, key=lambda s: max(freq.get(words[s[1] - 1], 0), freq.get(words[s[2] - 1], 0)))
    head, left, right, tail = ("".join(words[a:b]) for a, b in ((0, start), (start, i), (i + 1, end), (end, len(words))))
    if right.isdigit() and (m := re.match(r"^(.*?)(\d+)$", left)) and m.group(1):
        right = m.group(1) + right  # 'EMNLP2022和2023' -> 'EMNLP2023'
    return [(head + left + tail).replace("分别", ""), (head + right + tail).replace("分别", "")]


def _conjuncts(words: list[str], i: int) -> tuple[int, int, int] | None:
    """(start of the left term, the coordinating word, end of the right term) around words[i]."""
    limit = min(len(words), i + 8)
    stop = next((j for j in range(i + 1, limit) if words[j] in _BOUNDARY), limit)
    repeat = next((j for j in range(i + 1, stop) if words[j] == words[i - 1]), None)
    if repeat is not None and repeat - i <= i:  # '2022年和2023年': both terms end on the same word
        return i - (repeat - i), i, repeat + 1
    start = next((p for p in range(i - 1, max(-1, i - 5), -1) if words[p] == words[i + 1]), i - 1)
    if start == i - 1 and len(words[start]) == 1 and start > 0 and words[start - 1].isdigit():
        start -= 1  # '2022年' split by jieba into '2022' '年'
    if words[start] in _BOUNDARY:
        return None
    if start == i - 1 and start > 0 and len(words[start - 1]) == 1 and pos_tag(words[start - 1]) == pos_tag(words[start]) == pos_tag(words[i + 1]) == "nr":
        return start - 1, i, i + 2  # '布林肯和耶伦' (jieba cut the name into 布 / 林肯): two names
    width = len("".join(words[start:i]))
    end = i + 2
    while end < stop and len("".join(words[i + 1 : end])) < width:
        end += 1
    one_word = start == i - 1 and end - i - 1 == 2 and len(words[i + 1]) >= 2
    if one_word and start > 0 and len(words[start - 1]) > 1 and words[start - 1] not in _BOUNDARY and not words[start - 1].isdigit():
        start -= 1  # '成都大运会和杭州亚运会': a modifier and a head on the right, so on the left too (not '年')
    if width > 12 or len("".join(words[i + 1 : end])) > 12:
        return None
    return start, i, end
