"""Offline extractive answerer: rank the candidate answers of the hits it is given (app/rank.py) against
the analysed question, answer in <= 200 characters with [n] markers (app/compose.py), or refuse.

This module is the answering stage: it decides between a refusal, a list of a document's sections (for a
question such as '有哪些重点工作', the sibling sections through the retrieval helper app/siblings.py) and the
answer composed from the ranked candidates."""

from __future__ import annotations

from dataclasses import replace

from app.candidates import Candidate
from app.choose import Extracted, asks_for_many, compose_answer, headings_answer, refusal
from app.compose import MAX_ANSWER_CHARS, citation, defuse_markers, match_form, trim
from app.issued import issued_answer
from app.query import Query
from app.rank import Extractor
from app.schema import Hit
from app.section_items import section_answer
from app.sections import announced_sections, named_document, named_section
from app.sentences import chunk_sentences
from app.siblings import sibling_hits
from app.store import Store

__all__ = ["MAX_ANSWER_CHARS", "Candidate", "Extracted", "asks_for_many", "chunk_sentences", "citation",
           "defuse_markers", "extract", "match_form", "trim"]


def extract(store: Store, query: Query, hits: list[Hit], budget: int = MAX_ANSWER_CHARS, about: tuple[str, ...] = ()) -> Extracted:
    """The extractive answer for one (sub-)question, at most `budget` characters; `about`: words of which
    the evidence must name one (what sets this part of a two-part question apart from the other)."""
    if not hits:
        return refusal(query, hits)
    listing = query.asked == "list" or query.qtype in ("list", "headings")
    if listing and (section := section_answer(named_section(store, query, hits), budget)) is not None:
        return section  # the question names a section's heading: its items answer (app/sections.py)
    if listing and (parts := headings_answer(named_document(store, query, hits))) is not None:
        return replace(parts, structural=True)  # the question names a document and asks its parts
    if query.qtype == "headings" and (listed := headings_answer(sibling_hits(store, hits[0]))) is not None:
        return listed
    if (issued := issued_answer(store, query, hits)) is not None:
        return issued  # '…是哪天印发的': the date the document's signature or 发布日期 line states
    ex = Extractor(store, query, about, hits)
    if ex.unknown_subject():
        # a figure about something the index never mentions is another thing's figure, as MIN_SUBJECT
        # refuses one; no fit question has such a word, so the data cannot weigh it as a feature
        return refusal(query, hits)
    cands = ex.candidates(hits)
    if not cands:
        return refusal(query, hits)
    if listing and (listed := headings_answer(announced_sections(store, cands[0]))) is not None:
        return replace(listed, structural=True)  # '…抓好下面七件事。' then the sections it announces
    # Other unknown words and low coverage are no refusal here: the best candidate is composed and the
    # refusal model (app/refusal.py) weighs them with the rest, so one odd question word does not refuse.
    keep = [t for g in ex.groups for t in g] + list(ex.metric_words)
    weighty = frozenset(i for i, w in enumerate(ex.weights) if w > 1.0)
    result = compose_answer(query, cands, keep, ex.needs(), weighty, budget, list(zip(ex.groups, ex.weights, strict=True)))
    return replace(result, unknown=round(ex.unknown_share(), 4))
