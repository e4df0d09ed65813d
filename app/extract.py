"""Offline extractive answerer: pick the sentence(s) or indicator records that carry the asked metric for
the asked entity and period, answer in <= 200 characters with [n] markers, or refuse firmly."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.query import METRICS, MONTH_SPAN, Query, concept_groups
from app.schema import Chunk, Citation, Hit, Record
from app.store import Store
from app.text import is_noun, name_tags, normalize, pos_tag, resolve_dates, split_sentences, years_in

MAX_ANSWER_CHARS = 200
MIN_COVERAGE = 0.4  # share of the question's (IDF-weighted) concepts the evidence must carry
MIN_SUBJECT = 0.5  # ... and, for a figure, share of what the figure is about
FIGURE_TYPES = ("numeric", "rank")
CONTEXT_WEIGHT = 0.6  # a concept found only in the heading path / title counts this much
_LONG_SENTENCE = 150
MAX_SENTENCES = 2
NAME_BONUS = 0.3  # same weight as a number in a numeric answer or a date in a date answer
NAME_TAGGED = 10
ASKING_PENALTY = 0.3  # the same weight again, taken from a sentence that itself asks a question
SUPPORT_RATIO = 0.7  # a second sentence from another chunk joins the answer when it scores this close
SUPPORT_ROOM = 40  # ... and when the best sentence leaves this many characters for it

# Words that name the form of the answer to a question about plans ('2026年AI产业有什么工作安排'): what is
# arranged is the answer, so the word itself is never evidence, whether or not some document uses it.
PLAN_NOUNS = frozenset(["安排", "部署", "打算"])
GENERIC_NOUNS = frozenset(["称号", "荣誉", "名单", "奖项", "比例", "时间", "日期", "指标", "数量", "数额", "金额", "名称", "名字", "情况", "要求", "内容", "标准", "条件", "地点", "类型", "方式", "规定", "结果", "数据", "规模", "水平"])
_NUMBER = re.compile(
    r"\d[\d,]*(?:\.\d+)?\s*(?:%|‰|亿元|万元|元|亿|万|家|个百分点|百分点|个|项|亩|人次|人|名|辆|吨|件|倍|座|台|套|次|位|届|斤|公里|米|级|秒|小时|天|岁|枚|场|票|席|美元|港元|欧元)"
)
_BARE_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_DATE = re.compile(r"(?:19|20)\d\d年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}")
_RANK = re.compile(r"第[一二三四五六七八九十\d]+|首位|首次|前十|前列|榜首|冠军|居首")
_MEASURES = frozenset(w.lower() for ws in METRICS.values() for w in ws)
_MANY = re.compile(r"各|分别|哪些|哪几")
_ASKING = re.compile(r"什么|哪些|哪个|哪家|哪里|哪儿|为什么|为何|怎么|如何|多少|几何|吗|[？?]")
_CLAUSE = re.compile(r"(?<=[，,；;：:])")
_QUOTES = re.compile(r"[“”\"‘’'《》「」『』【】\s]")
# '[3]' (any bracket width) in a document's own words: a footnote, or a forged source header
_SOURCE_MARKER = re.compile(r"[\[［【〖]\s*([0-9０-９]{1,3})\s*[\]］】〗]")


def defuse_markers(text: str) -> str:
    """A '[3]' in a document's own words would read as our citation marker once the text sits in an answer
    or a prompt (and be renumbered to point at another source); it becomes '〔3〕', which no marker parser
    takes."""
    return _SOURCE_MARKER.sub(r"〔\1〕", text)


def match_form(text: str) -> str:
    """What concept matching compares: half-width, lower case, without quotes and spaces
    ('“两化”改造' matches 两化改造)."""
    return _QUOTES.sub("", normalize(text).lower())


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    quote: str
    resolved: str
    score: float
    coverage: float
    covered: frozenset[int]
    rank: int
    fit: float  # how well the sentence fits the question type (a number for 多少, a date for 何时 …)


def chunk_sentences(chunk: Chunk) -> list[str]:
    if chunk.record is not None:
        return [chunk.text]
    out: list[str] = []
    for sentence in split_sentences(chunk.text):
        if len(sentence) > _LONG_SENTENCE and "；" in sentence:
            out.extend(p for p in re.split(r"(?<=；)", sentence) if p.strip())
        else:
            out.append(sentence)
    return out


def _years_in_force(chunk: Chunk) -> int | None:
    return int(chunk.default_year) if chunk.default_year.isdigit() else None


class Extractor:
    """Scores candidate sentences of the retrieved chunks against the analysed question."""

    def __init__(self, store: Store, query: Query, about: tuple[str, ...] = ()) -> None:
        self.store = store
        self.query = query
        self.about = about  # the evidence must name one of these words (the part's own subject)
        self.groups = concept_groups(query.content)
        # question words no document contains (哪天, 哪项: pronouns) and generic asking nouns (比例, 时间)
        # carry no content; every other unknown word counts fully against the evidence
        self.weights = [
            0.0 if group[0] in PLAN_NOUNS
            or (not any(store.knows(t) for t in group) and (group[0] in GENERIC_NOUNS or pos_tag(group[0]) == "r"))
            else max(store.idf(t) for t in group)
            for group in self.groups
        ]
        self.total = sum(self.weights) or 1.0
        # What the figure is about ('数字经济核心产业' in '…规上营收是多少'): the names and nouns that are not
        # the metric (verbs like 兑付 and periods like 全年 say how it is asked, not about what). Evidence for
        # a figure must carry most of it, or it is another entity's figure.
        self.subject = [
            i for i, group in enumerate(self.groups)
            if self.weights[i] > 0 and pos_tag(group[0]).startswith(("n", "vn", "j", "eng"))
            and not any(m in t or t in m for t in group for m in _MEASURES)
        ]
        self.subject_total = sum(self.weights[i] for i in self.subject)
        self.metric_words = METRICS.get(query.metric, ())
        self.asks = max(1, len(re.findall(r"多少|几", query.text)))

    def unknown(self) -> list[str]:
        """Topic nouns of the question the knowledge base never mentions (nor any synonym, nor its parts):
        'GDP' when no document speaks of it. Such a question cannot be answered from the sources.
        Generic nouns of asking (比例, 时间, 要求 …) and non-nouns (开始, 哪项) never count."""
        content = self.query.content
        return [
            group[0] for group in self.groups
            if len(group[0]) >= 2 and group[0] not in GENERIC_NOUNS | PLAN_NOUNS and not any(self.store.knows(t) for t in group)
            and not any(other != group[0] and other in group[0] for other in content) and is_noun(group[0])
        ]

    def candidates(self, hits: list[Hit]) -> list[Candidate]:
        out = []
        for hit in hits:
            chunk = hit.chunk
            doc_year = int(chunk.doc_date[:4]) if chunk.doc_date[:4].isdigit() else None
            in_force = _years_in_force(chunk)
            heading = match_form(f"{chunk.title} {chunk.heading_path}")
            sentences = chunk_sentences(chunk)
            for i, sentence in enumerate(sentences):
                resolved = chunk.record.fact if chunk.record else resolve_dates(sentence, doc_year, in_force)
                years = set(years_in(resolved))
                if years:
                    in_force = int(sorted(years)[-1]) if len(years) == 1 else in_force
                # a concept named in the sentence before or after (or the headings) counts for less
                context = heading + match_form("".join(sentences[max(0, i - 1) : i] + sentences[i + 1 : i + 2]))
                cand = self._score(hit, chunk, sentence, resolved, years, context)
                if cand is not None:
                    out.append(cand)
        out.sort(key=lambda c: -c.score)
        if self.query.qtype in ("entity", "list", "other") and self.query.wants:
            # 'who/where/which company': among the best few, prefer sentences that name such a thing
            # (jieba's name tags cost ~3 ms a sentence, so only the top candidates are tagged)
            top = [replace(c, score=c.score + NAME_BONUS) if self.query.wants in name_tags(c.resolved) else c
                   for c in out[:NAME_TAGGED]]
            out = sorted(top, key=lambda c: -c.score) + out[NAME_TAGGED:]
        return out

    def _score(self, hit: Hit, chunk: Chunk, quote: str, resolved: str, years: set[str], context: str) -> Candidate | None:
        q = self.query
        text = match_form(resolved)
        if chunk.record is not None:
            years |= set(years_in(chunk.record.period))
        if q.years:
            if years and not years & set(q.years):
                return None
            if not years:
                known = set(chunk.periods) | ({chunk.default_year} if chunk.default_year else set())
                if known and not known & set(q.years):
                    return None
        if self.metric_words and not any(w.lower() in text for w in self.metric_words):
            return None
        if q.months and q.qtype in FIGURE_TYPES and _month_span(q.months) not in {_month_span(m) for m in MONTH_SPAN.findall(text)}:
            return None  # '1-11月营收增速' is not answered by a full-year figure
        if self.about and not any(t in text for t in self.about):
            return None
        # how much each concept counts: fully in the sentence, CONTEXT_WEIGHT beside it or in the headings
        credit = [
            1.0 if any(t in text for t in group) else CONTEXT_WEIGHT if any(t in context for t in group) else 0.0
            for group in self.groups
        ]
        covered = {i for i, c in enumerate(credit) if c == 1.0}
        coverage = sum(w * c for w, c in zip(self.weights, credit, strict=True)) / self.total if self.groups else 0.0
        about = sum(self.weights[i] * credit[i] for i in self.subject)
        if q.qtype in FIGURE_TYPES and self.subject_total and about / self.subject_total < MIN_SUBJECT:
            return None  # another entity's figure
        fit = type_fit = self._fitness(text)
        if self.asks > 1 and fit:  # '产值是多少，增长多少': prefer evidence that carries every asked figure
            fit += 0.1 * (min(len(_NUMBER.findall(text)), self.asks) - 1)
        if fit == 0.0 and self.needs() is not None:
            coverage *= 0.8
        score = coverage + fit + (0.15 if years & set(q.years) else 0.0) + 0.1 / hit.rank
        if _ASKING.search(quote):  # '很多用户想知道用了什么处理器': a sentence that asks is no answer
            score -= ASKING_PENALTY
        return Candidate(chunk, quote, resolved, score, coverage, frozenset(covered), hit.rank, type_fit)

    def needs(self) -> re.Pattern[str] | None:
        """What an answer to this question must show: a figure, a date, a rank (None: nothing in particular)."""
        return {"numeric": _NUMBER, "date": _DATE, "rank": _RANK}.get(self.query.qtype)

    def _fitness(self, text: str) -> float:
        need = self.needs()
        if need is None:
            return 0.0
        if need.search(text):
            return 0.3
        bare = self.query.qtype == "numeric" and _BARE_NUMBER.search(re.sub(r"(19|20)\d\d年", "", text))
        return 0.1 if bare else 0.0


def _month_span(text: str) -> str:
    """'1—11月', '1至11月', '1-11 月' -> '1-11'."""
    return "-".join(re.findall(r"\d+", text))


def asks_for_many(question: str) -> bool:
    """'各产业集群增速', '哪些企业': the answer lists several things, each with its own evidence."""
    return bool(_MANY.search(question))


def trim(sentence: str, keep: list[str], limit: int = MAX_ANSWER_CHARS, need: re.Pattern[str] | None = None) -> str:
    """Cut a long sentence down to the run of clauses that fits `limit` and carries the most asked words —
    first of all, for 多少/何时 questions, a clause with an asked word and the figure or date (`need`) —
    plus the figures right after it; a single over-long clause is cut to the window around the asked words."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    found = [{k for k in keep if k and k in match_form(c)} for c in clauses]
    if not any(found):
        return sentence[:limit]
    # a figure answers when its clause names an asked word, or follows a label that does ('开幕时间：7月28日')
    asked = [bool(f) or (i > 0 and bool(found[i - 1]) and clauses[i - 1].rstrip().endswith(("：", ":"))) for i, f in enumerate(found)]
    best: tuple[tuple[bool, int, int, int], int, int] | None = None
    for start in range(len(clauses)):
        words: set[str] = set()
        size, answers = 0, False
        for end in range(start, len(clauses)):
            size += len(clauses[end])
            if size > limit:
                break
            words |= found[end]
            answers = answers or bool(need and asked[end] and need.search(clauses[end]))
            key = (answers, sum(len(w) for w in words), -start, start - end)  # then earlier, then shorter
            if words and (best is None or key > best[0]):
                best = (key, start, end)
    if best is None:  # every clause that carries an asked word is longer than the limit on its own
        one = max(range(len(clauses)), key=lambda i: sum(len(w) for w in found[i]))
        out = clauses[one]
        low = out.lower()
        first = min((p for k in keep if k and (p := low.find(k)) >= 0), default=0)
        begin = max(0, min(first - limit // 5, len(out) - limit))
        return out[begin : begin + limit]
    _, start, end = best
    while end + 1 < len(clauses) and _NUMBER.search(clauses[end + 1]) and len("".join(clauses[start : end + 2])) <= limit:
        end += 1
    return "".join(clauses[start : end + 1])


def citation(n: int, chunk: Chunk, quote: str) -> Citation:
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title or chunk.source,
        locator=chunk.locator,
        quote=quote,
        chunk_id=chunk.id,
        doc_date=chunk.doc_date,
        heading_path=chunk.heading_path,
    )


@dataclass(frozen=True)
class Extracted:
    text: str
    answerable: bool
    citations: tuple[Citation, ...]
    related: tuple[Citation, ...] = ()
    records: tuple[Record, ...] = ()


def _refusal(query: Query, hits: list[Hit]) -> Extracted:
    what = "".join(dict.fromkeys([*(f"{y}年" for y in query.years), query.metric]))
    topic = f"“{query.text.rstrip('？?。')}”"
    text = f"知识库中未找到能回答{topic}的依据{f'（{what}）' if what else ''}，无法给出答案。以下是最接近的资料，供参考。"
    related = tuple(citation(i, h.chunk, chunk_sentences(h.chunk)[0]) for i, h in enumerate(hits[:3], start=1))
    return Extracted(text, False, (), related)


def _figures(text: str) -> set[str]:
    return set(_NUMBER.findall(normalize(text)))


def extract(store: Store, query: Query, hits: list[Hit], budget: int = MAX_ANSWER_CHARS, about: tuple[str, ...] = ()) -> Extracted:
    """The extractive answer for one (sub-)question, at most `budget` characters; `about`: words of which
    the evidence must name one (what sets this part of a two-part question apart from the other)."""
    if not hits:
        return _refusal(query, hits)
    if query.qtype == "headings" and (listed := _headings_answer(store, hits)) is not None:
        return listed
    ex = Extractor(store, query, about)
    if ex.unknown():
        return _refusal(query, hits)
    cands = ex.candidates(hits)
    if not cands or cands[0].coverage < MIN_COVERAGE:
        return _refusal(query, hits)
    best = cands[0]
    note = ""
    many = asks_for_many(query.text)
    rivals = [
        c for c in cands[1:6]
        if not many and c.chunk.source != best.chunk.source and best.coverage > 0.99 and c.covered == best.covered
        and c.chunk.doc_date and best.chunk.doc_date
        and _figures(c.resolved) and _figures(best.resolved) and not _figures(c.resolved) & _figures(best.resolved)
        and c.chunk.doc_date != best.chunk.doc_date
    ]
    if rivals and query.qtype == "numeric":
        newer = max([best, rivals[0]], key=lambda c: c.chunk.doc_date)
        older = rivals[0] if newer is best else best
        best = newer
        note = f"（注：较早的《{defuse_markers(older.chunk.title or older.chunk.source)}》（{older.chunk.doc_date or '日期不详'}）数字不同，已采用较新的文件。）"
    keep = [t for g in ex.groups for t in g] + list(ex.metric_words)
    chosen = [best]
    if many:  # '各产业集群增速': every entity's figure, as far as the answer length allows
        for c in cands[1:12]:
            if len(chosen) < 6 and c.coverage >= MIN_COVERAGE and c.fit > 0 \
                    and not _figures(c.resolved) <= set().union(*(_figures(x.resolved) for x in chosen)):
                chosen.append(c)
    # Fill the answer budget with further strong evidence from other chunks (a second source often
    # states the figure more directly); each addition is cited. In a part of a two-part answer (half the
    # budget) only when the best sentence's answer stands whole with room to spare: a second source
    # would squeeze the first one's figure out.
    needs = ex.needs()
    lead = len(trim(best.resolved, keep, budget - len(note) - 5, needs))
    spare = budget >= MAX_ANSWER_CHARS or budget - len(note) - 5 - lead >= SUPPORT_ROOM
    for c in cands[1:8] if len(chosen) == 1 and spare else ():
        if len(chosen) < MAX_SENTENCES and all(c.chunk.id != x.chunk.id for x in chosen) \
                and c.score >= best.score * SUPPORT_RATIO and c.coverage >= MIN_COVERAGE \
                and (needs is None or c.fit >= 0.3):  # it carries what is asked
            chosen.append(c)
    for c in cands[1:8] if len(chosen) == 1 else ():  # a multi-part question: evidence for the other part
        if c.quote == best.quote or c.coverage < MIN_COVERAGE:
            continue
        adds = c.covered - frozenset().union(*(x.covered for x in chosen))
        needs_number = query.qtype in ("numeric", "date") and not any(x.fit >= 0.3 for x in chosen)
        if (adds and any(ex.weights[i] > 1.0 for i in adds)) or (needs_number and c.fit >= 0.3):
            chosen.append(c)
            break
    parts: list[str] = []
    cites: list[Citation] = []
    budget -= len(note) + 1  # and the closing 。
    for c in chosen:
        n = len(cites) + 1
        # the best sentence keeps as much as it needs (up to two thirds); later ones get what is left
        room = budget - len("".join(parts)) - 4 * (len(chosen) - len(parts))
        if len(parts) == 0 and len(chosen) > 1:
            room = min(room - min(60, sum(len(x.resolved) for x in chosen[1:])), max(room * 2 // 3, len(c.resolved)))
            room = max(room, min(lead, budget - 4 * len(chosen) - SUPPORT_ROOM // 2))  # never cut into the answer
        if room < 20:
            break
        piece = trim(c.resolved, keep, room, needs)
        if parts and len("".join(parts)) + len(piece) + 4 > budget:
            break
        parts.append(f"{defuse_markers(piece).rstrip('；;，,。')}[{n}]")
        cites.append(citation(n, c.chunk, c.quote.strip()))
    records = tuple(c.chunk.record for c in chosen if c.chunk.record is not None)
    return Extracted("；".join(parts) + "。" + note, True, tuple(cites), (), records)


def _headings_answer(store: Store, hits: list[Hit]) -> Extracted | None:
    """'有哪些重点工作': the sibling headings under the best hit's parent heading, each cited."""
    top = hits[0].chunk
    if " > " not in top.heading_path and not top.heading_path:
        return None
    parent = top.heading_path.rsplit(" > ", 1)[0] if " > " in top.heading_path else ""
    seen: dict[str, Chunk] = {}
    for chunk in store.chunks:
        if chunk.source != top.source or not chunk.heading_path:
            continue
        if parent and not chunk.heading_path.startswith(parent + " > "):
            continue
        if not parent and " > " in chunk.heading_path:
            continue
        heading = chunk.heading_path.rsplit(" > ", 1)[-1]
        if not re.search(r"[:：]|日期", heading):  # '发布日期：…' lines are metadata, not items
            seen.setdefault(heading, chunk)
    if len(seen) < 2:
        return None
    items = list(seen.items())
    head = f"共{len(items)}项："
    parts: list[str] = []
    cites = []
    for n, (heading, chunk) in enumerate(items, start=1):
        piece = f"{defuse_markers(heading)}[{n}]"
        if len(head) + len("；".join([*parts, piece])) + 1 > MAX_ANSWER_CHARS:  # + the closing 。
            break
        parts.append(piece)
        cites.append(citation(n, chunk, chunk_sentences(chunk)[0]))
    return Extracted(head + "；".join(parts) + "。", True, tuple(cites))
