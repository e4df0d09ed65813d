"""Question analysis: tokens (+synonyms), asked period, metric, question type."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.text import expand, normalize, resolve_dates, synonyms, tokenize, years_in

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
_MONTHS = re.compile(r"\d{1,2}\s*[—\-–~至到]\s*\d{1,2}\s*月")
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


def analyze(question: str, today: dt.date | None = None) -> Query:
    """Understand what is asked; relative years (去年/今年) are read against today's date."""
    today = today or dt.date.today()
    text = normalize(question.strip())
    resolved = resolve_dates(text, today.year)
    years = tuple(dict.fromkeys(years_in(resolved) + _BARE_YEAR.findall(resolved)))
    months = m.group(0) if (m := _MONTHS.search(resolved)) else ""
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


def sub_questions(question: str) -> list[str]:
    """'2021年中国和美国经济分别增长了多少' -> ['2021年中国经济…', '2021年美国经济…'].

    Splits on the first coordinating word between two short terms; the right-hand term grows over
    jieba's pieces until it is as long as the left one ('冬奥会和冬残奥会'). Returns [] when there is none.
    """
    from app.text import tokenizer

    words = [w for w in tokenizer().cut(normalize(question)) if w.strip()]
    for i, w in enumerate(words):
        if w not in _COORD or not 0 < i < len(words) - 1:
            continue
        left = words[i - 1]
        j = i + 2
        while j < len(words) and words[j] not in _BOUNDARY and len("".join(words[i + 1 : j])) < len(left):
            j += 1
        right = "".join(words[i + 1 : j])
        if not (left and right and len(left) <= 12 and len(right) <= 12) or left in _BOUNDARY:
            return []
        if right.isdigit() and (m := re.match(r"^(.*?)(\d+)$", left)) and m.group(1):
            right = m.group(1) + right  # 'EMNLP2022和2023' -> 'EMNLP2023'
        head, tail = "".join(words[: i - 1]), "".join(words[j:])
        return [(head + left + tail).replace("分别", ""), (head + right + tail).replace("分别", "")]
    return []
