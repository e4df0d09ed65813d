"""Candidate ranking, the first stage of the offline extractive answerer: weigh the analysed question's
concepts by idf (which words count as evidence, what a figure is about), compute each candidate's named
features (app/scorer.py NAMES) from the hits it is given, and order the candidates by the fitted scorer.

It reads only the hits: no scan of the store's chunks. The store gives term statistics (idf, whether the
index has a word at all) and a chunk's continuation. Separate from app/extract.py, which answers or refuses
from the ranked candidates, because the fit and diagnosis scripts (bench/fit_scorer.py, bench/cand_causes.py)
rank without answering."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from app.asked import Asked, measure_of, month_span, period_match
from app.candidates import KEPT_CHUNKS, Candidate, Span, continuation, spans
from app.compose import match_form
from app.constraints import MONTH_SPAN, years_in_passing
from app.dates import resolve_dates, years_in
from app.query import METRICS, Query
from app.question_words import ASKS_IN_TEXT as _ASKING
from app.schema import Chunk, Hit
from app.scorer import NAMES, Scorer, nearness, novelty, opening, pairs, pairs_share, shipped
from app.sentences import LONG_SENTENCE
from app.store import Store
from app.tags import has_name, is_noun, pos_tag
from app.terms import concept_groups
from app.text import kept_elsewhere
from app.values import RATES, asked_measure, asked_values, asks_rate, fitness, literal_asked

MIN_SUBJECT = 0.5  # ... and, for a figure, share of what the figure is about
FIGURE_TYPES = ("numeric", "rank")
# a figure or a date is another year's when its sentence names only other years; a why/who/what sentence is
# not, when its document is about the asked year ('…继1987年以后再次对决' in the 2008 final's report)
DATED_TYPES = (*FIGURE_TYPES, "date")
CONTEXT_WEIGHT = 0.6  # a concept found only in the heading path / title / the sentences around counts this much
NAME_TAGGED = 10
NAME_FOUND = NAMES.index("name_found")

# Nouns that carry no weight as evidence (app/data/answer_nouns.json says why): words naming the form of
# the answer to a plan question ('安排'), and generic asking nouns ('比例', '时间')
_NOUNS = json.loads((Path(__file__).resolve().parent / "data" / "answer_nouns.json").read_text(encoding="utf-8"))
PLAN_NOUNS = frozenset(_NOUNS["plan"])
GENERIC_NOUNS = frozenset(_NOUNS["generic"])
_MEASURES = frozenset(w.lower() for ws in METRICS.values() for w in ws)


class Extractor:
    """Scores candidate answers of the retrieved chunks against the analysed question."""

    def __init__(self, store: Store, query: Query, about: tuple[str, ...] = (), hits: list[Hit] | None = None,
                 rank: bool = True) -> None:
        self.query = query
        self.store = store  # a candidate near a chunk's end goes on into the next chunk (candidates.continuation)
        self.about = about  # the evidence must name one of these words (the part's own subject)
        self.groups = concept_groups(query.content)
        # Whether the index has the word at all: a term statistic like idf, read from the vocabulary, not
        # from the chunks. (Whether the hits given contain it was tried: answer-form nouns such as 材料, 表格
        # and names outside the top hits then refused answerable questions, ncp_policy fit 2.7% -> 12.2%.)
        self.present = [any(store.knows(t) for t in group) for group in self.groups]
        # question words the index lacks (哪天, 哪项: pronouns) and generic asking nouns (比例, 时间) carry no
        # content; every other word counts fully against the evidence, by its idf
        self.weights = [
            0.0 if group[0] in PLAN_NOUNS or (not present and (group[0] in GENERIC_NOUNS or pos_tag(group[0]) == "r"))
            else max(store.idf(t) for t in group)
            for group, present in zip(self.groups, self.present, strict=True)
        ]
        self.total = sum(self.weights) or 1.0
        # What a figure is about: the names and nouns that are not the metric. Evidence for a figure must
        # carry most of it, or it is another entity's figure.
        self.subject = [
            i for i, group in enumerate(self.groups)
            if self.weights[i] > 0 and pos_tag(group[0]).startswith(("n", "vn", "j", "eng"))
            and not any(m in t or t in m for t in group for m in _MEASURES)
        ]
        self.subject_total = sum(self.weights[i] for i in self.subject)
        self.metric_words = METRICS.get(query.metric, ())
        self.asks = max(1, len(re.findall(r"多少|几", query.text)))
        self.amount = query.qtype == "numeric" and not asks_rate(query.text)  # '产值是多少': a rate shows none
        self.literal = literal_asked(query.text)  # '文号是多少': a 文号 answers, not any figure
        self.measure = asked_measure(query.text)  # '多少家': a figure of 级 or 元 is no whole answer
        # rank=False (the fit script, which fits the scorer): every candidate scores 0, in the order found
        self.model: Scorer | None = shipped() if rank else None
        self.pairs = pairs(_ASKING.sub(" ", match_form(query.resolved)))
        self.question_pairs = pairs(match_form(query.resolved))
        self.weighty_terms = [t for group, w in zip(self.groups, self.weights, strict=True) if w > 0 for t in group]
        # what every candidate is compared with, read once per question (_score runs for each of hundreds)
        self.years = set(query.years)
        self.named = [match_form(n) for n in (*query.places, *query.orgs, *query.names)]
        self.needs_value = self.needs() is not None

    def unknown(self) -> list[str]:
        """Topic nouns of the question the index never mentions (nor a synonym, nor a part of the question):
        'GDP' when no document speaks of it. Generic asking nouns and non-nouns never count."""
        return [self.groups[i][0] for i in self._unknown()]

    def _unknown(self) -> list[int]:
        """The indexes of `unknown`'s groups."""
        content = self.query.content
        return [
            i for i, (group, present) in enumerate(zip(self.groups, self.present, strict=True))
            if not present and len(group[0]) >= 2 and group[0] not in GENERIC_NOUNS | PLAN_NOUNS
            and not any(other != group[0] and other in group[0] for other in content) and is_noun(group[0])
        ]

    def unknown_subject(self) -> list[str]:
        """Unknown topic nouns that are part of what a figure is about (`subject`): for a figure question
        the evidence is then another thing's figure ('月球上有多少家…')."""
        if self.query.qtype not in FIGURE_TYPES:
            return []
        return [self.groups[i][0] for i in self._unknown() if i in self.subject]

    def unknown_share(self) -> float:
        """The idf-weighted share of the question's concepts that are unknown topic nouns: a feature of the
        refusal model, not a refusal by itself (a question's 样子 or 外形 the passage words otherwise refused
        answerable questions: 18 of 38 wrong refusals on cmrc fit)."""
        return sum(self.weights[i] for i in self._unknown()) / self.total

    def candidates(self, hits: list[Hit]) -> list[Candidate]:
        """The candidates of the hits, best first by the fitted scorer (app/scorer.py)."""
        return [c for c, _ in self.scored(hits)]

    def scored(self, hits: list[Hit], tag_all: bool = False) -> list[tuple[Candidate, list[float]]]:
        """Each candidate with its named features (app/scorer.py), best first. Names are tagged (jieba's
        name tags cost ~3 ms a sentence) only for the best NAME_TAGGED unless `tag_all` (the fit script)."""
        out = []
        best_score = max((h.score for h in hits), default=0.0) or 1.0
        for hit in hits:
            heading, read = spans_read(hit.chunk, continuation(self.store, hit.chunk))
            for span, resolved, years, context in read:
                row = self._score(hit, span, resolved, set(years), context, heading, hit.score / best_score)
                if row is not None:
                    out.append(row)
        model = self.model
        if model is not None:
            out = [(_with_score(c, p), x) for (c, x), p in zip(out, model.scores([x for _, x in out]), strict=True)]
            out.sort(key=lambda r: -r[0].score)
        if self.query.qtype in ("entity", "list", "other") and self.query.wants:
            # 'who/where/which company': among the best few, prefer sentences that name such a thing
            top = []
            for c, x in out if tag_all else out[:NAME_TAGGED]:
                if has_name(_answer_text(c), self.query.wants):
                    x[NAME_FOUND] = 1.0
                    c = _with_score(c, model(x)) if model is not None else c
                top.append((c, x))
            out = sorted(top, key=lambda r: -r[0].score) + ([] if tag_all else out[NAME_TAGGED:])
        return out

    def _score(self, hit: Hit, span: Span, resolved: str, years: set[str], context: str, heading: str,
               relative: float) -> tuple[Candidate, list[float]] | None:
        q, chunk = self.query, hit.chunk
        text = match_form(resolved)
        if chunk.record is not None:
            years |= set(years_in(chunk.record.period))
        if q.years:
            if years and not years & self.years and not self._in_passing(chunk, heading, years, resolved):
                return None  # another year's figure or date
            if not years:
                known = set(chunk.periods) | ({chunk.default_year} if chunk.default_year else set())
                if known and not known & self.years:
                    return None
        # the metric may name the document ('…补助办法的文号'), not the sentence; for what is not a figure
        # ('资金支持哪些方面' answered by '…费用补贴') the sentence before or after may name it too
        where = (text, heading) if q.qtype in FIGURE_TYPES else (text, heading, context)
        if self.metric_words and not any(w.lower() in t for w in self.metric_words for t in where):
            return None
        if q.months and q.qtype in FIGURE_TYPES and month_span(q.months) not in {month_span(m) for m in MONTH_SPAN.findall(text)}:
            return None  # '1-11月营收增速' is not answered by a full-year figure
        if self.about and not any(t in text for t in self.about):
            return None
        asking = bool(_ASKING.search(span.lead or span.quote))
        if asking and not span.lead:
            # a sentence that asks is no answer (a teaser repeats the question's words): on the fit files
            # 346 such candidates held the gold 20 times, and were the only ones to in 2 of 981 questions
            return None
        own = match_form(span.lead) if span.lead else text
        credit = [  # map(str.__contains__): no generator frame per term, every candidate reads every group
            1.0 if any(map(own.__contains__, group)) else CONTEXT_WEIGHT if any(map(context.__contains__, group)) else 0.0
            for group in self.groups
        ]
        covered = {i for i, c in enumerate(credit) if c == 1.0}
        coverage = sum(w * c for w, c in zip(self.weights, credit, strict=True)) / self.total if self.groups else 0.0
        about = sum(self.weights[i] * credit[i] for i in self.subject)
        if q.qtype in FIGURE_TYPES and self.subject_total and about / self.subject_total < MIN_SUBJECT:
            return None  # another entity's figure
        answer = match_form(span.body) if span.lead else text
        shown = asked_values(q.qtype, answer)
        fit = type_fit = fitness(self.literal or q.qtype, answer)
        if type_fit > 0.1 and self.measure and not any((m := measure_of(v.unit)) and m[0] in self.measure for v in shown):
            fit = type_fit = 0.0  # '多少家' shown only a figure of 级 or 元 shows no value of the asked kind
        if type_fit and self.amount and not self.literal and all(v.kind in RATES for v in shown):
            fit = type_fit = 0.0  # '产值是多少' shown only '增速为14.7%'
        if self.asks > 1 and fit:  # '产值是多少，增长多少': prefer evidence that carries every asked figure
            fit += 0.1 * (min(len(shown), self.asks) - 1)
        raw = coverage
        needs_value = self.needs_value
        if fit == 0.0 and needs_value:
            coverage *= 0.8  # no value shown: it weighs less as support (choose's MIN_COVERAGE)
        named = self.named
        own_share = sum(w * (c == 1.0) for w, c in zip(self.weights, credit, strict=True)) / self.total if self.groups else 0.0
        features = {
            "coverage": raw, "own_coverage": own_share,
            "subject": about / self.subject_total if self.subject_total else 1.0,
            "type_fit": type_fit / 0.3, "extra_values": fit - type_fit,
            "value_missing": float(type_fit == 0.0 and needs_value),
            "value_near": nearness(shown, answer, [t for i in covered for t in self.groups[i]]),
            "year_match": float(bool(years & self.years)),
            "constraint_own": sum(n in text for n in named) / len(named) if named else 1.0,
            "constraint_context": sum(n in heading for n in named) / len(named) if named else 1.0,
            "period_match": period_match(q, text), "inv_rank": 1.0 / hit.rank, "retrieval_score": relative,
            "structured": float(bool(span.lead)), "record": float(chunk.record is not None), "asking": float(asking),
            "name_found": 0.0,  # set for the best few in scored(): name tagging is slow
            "length": math.log(1 + len(answer)) / 5, "bigrams": pairs_share(self.pairs, own),
            "novelty": novelty(self.question_pairs, answer),
            "in_title": pairs_share(pairs(own), match_form(chunk.title)) if chunk.title else 0.0,
            "doc_start": float(chunk.ordinal == 0 and span.index <= 1),
            "opening": opening(own, self.weighty_terms),
        }
        cand = Candidate(chunk, span.quote, resolved, 0.0, coverage, frozenset(covered), hit.rank, type_fit, span)
        return cand, [features[n] for n in NAMES]

    def _in_passing(self, chunk: Chunk, heading: str, years: set[str], resolved: str) -> bool:
        """Whether a sentence names other years than the asked ones only as points of reference ('是继1987年
        以后再次…') in a document about an asked year: a why/who/what sentence answers for its document's
        year. A figure or date is never read so ('自2019年以来累计…' is no figure of the asked year)."""
        q = self.query
        if q.qtype in DATED_TYPES or not _about_year(chunk, heading, q.years):
            return False
        return years <= years_in_passing(resolved)

    def needs(self) -> Asked | None:
        """What an answer to this question must show: a figure, a date, a rank (None: nothing in particular)."""
        return Asked(self.query.qtype) if self.query.qtype in ("numeric", "date", "rank") else None


@kept_elsewhere
@lru_cache(maxsize=KEPT_CHUNKS)
def spans_read(chunk: Chunk, after: Chunk | None) -> tuple[str, tuple[tuple[Span, str, frozenset[str], str], ...]]:
    """A chunk's heading (match form) and, for each of its candidate spans, the span with its dates resolved,
    its resolved text, the years it names and its context (match form): what `Extractor.scored` reads of a
    chunk whatever the question, kept per chunk and continuation, since every pass of a
    question (each part of a two-part one, then the whole) and the next questions read the same chunks."""
    doc_year = int(chunk.doc_date[:4]) if chunk.doc_date[:4].isdigit() else None
    in_force = int(chunk.default_year) if chunk.default_year.isdigit() else None
    heading = match_form(f"{chunk.title} {chunk.heading_path}")
    found = tuple(spans(chunk, after))  # kept with the rest of what is read, per chunk and continuation
    texts = [s.quote for s in found]
    out = []
    for i, span in enumerate(found):
        resolved = chunk.record.fact if chunk.record else resolve_dates(span.quote, doc_year, in_force)
        years = frozenset(years_in(resolved))
        if span.lead:  # the lead matches the question; what follows it is its context and its answer
            span = replace(span, lead=resolve_dates(span.lead, doc_year, in_force),
                           body=resolve_dates(span.body, doc_year, in_force))
            context = heading + match_form(span.body)
        else:  # a concept named in the sentence before or after (or the headings) counts for less
            context = heading + match_form("".join(texts[max(0, i - 1) : i] + texts[i + 1 : i + 2]))
        if len(years) == 1:
            in_force = int(next(iter(years)))
        out.append((span, resolved, years, context))
    return heading, tuple(out)


def _about_year(chunk: Chunk, heading: str, asked: tuple[str, ...]) -> bool:
    """Whether a chunk's document is about one of the asked years: the year it mostly reports on, or a year
    its title or headings name. A sentence of it that names another year then names a past one in passing."""
    return chunk.default_year in asked or any(y in asked for y in years_in(heading))


def _with_score(c: Candidate, score: float) -> Candidate:
    """The candidate with its score (dataclasses.replace reads the fields' definitions on every call, and every
    candidate of a question is scored)."""
    return Candidate(c.chunk, c.quote, c.resolved, score, c.coverage, c.covered, c.rank, c.fit, c.span)


def _answer_text(c: Candidate) -> str:
    """What a candidate answers with (a heading's or lead-in's body), as far as a long sentence reaches."""
    return (c.span.body if c.span is not None and c.span.lead else c.resolved)[:LONG_SENTENCE]
