"""question (+ history) -> Answer. The one entry point shared by the CLI and the UI."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Sequence

from app.choose import refusal
from app.combine import combine
from app.errors import KBQAError
from app.extract import (
    MAX_ANSWER_CHARS,
    Extracted,
    asks_for_many,
    extract,
    match_form,
)
from app.followup import rewrite
from app.gate import lacks
from app.index_files import current_name
from app.query import Query, analyze
from app.rank import GENERIC_NOUNS, PLAN_NOUNS
from app.refusal import Verdict, judge, threshold
from app.retrieve import Ranked, retrieve
from app.schema import Answer, Hit, content_id
from app.settings import Settings
from app.status import with_notes
from app.store import Store
from app.tags import pos_tag
from app.tokens import tokenize

MAX_QUESTION_CHARS = 500
CONSTRAINED_POOL = 4  # a gate miss looks again among this many times top_k hits for ones naming the constraints
MAX_REPLY_CHARS = 10 * MAX_QUESTION_CHARS  # an earlier answer in the history; a model's answer may run long
_SURROGATE = re.compile("[\ud800-\udfff]")  # what undecodable bytes become in argv ('surrogateescape')


class Assistant:
    """Holds the opened index; cheap to ask many questions of (the UI caches one per process)."""

    def __init__(self, settings: Settings, store: Store | None = None, refusal_limit: float | None = None) -> None:
        self.settings = settings
        self._store = store
        self.refusal_limit = refusal_limit  # None: the fitted threshold (app/data/refusal.json); bench/fit.py sets 0
        self.trace: list[tuple[Query, Extracted, Verdict | None]] | None = None  # bench/fit.py: each gated result

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings)
        return self._store

    def reload(self, if_changed: bool = False) -> bool:
        """Re-open the index after an ingest, so deleted files stop answering at once. With `if_changed`,
        only when CURRENT names another generation than the open one (an ingest by another process, e.g.
        the CLI or cron): the UI calls it before each run, never in the middle of a question, since hit
        positions from one generation mean nothing in another. Returns whether it re-opened."""
        if if_changed and self._store is not None and current_name(self.settings.index_dir) == self._store.generation:
            return False
        self._store = Store.open(self.settings)
        return True

    def search(self, question: str, top_k: int | None = None, kinds: set[str] | None = None, year: str = "") -> list[Hit]:
        if problem := check_question(question):
            raise KBQAError(problem)
        query = analyze(question, self.settings.question_date(), self.store.idf)
        return retrieve(self.store, query, top_k or self.settings.top_k, kinds or None, year)

    def ask(self, question: str, history: Sequence[dict[str, str]] = (), qid: str = "") -> Answer:
        """Answer extractively, or through the configured LLM (with verification and fallback)."""
        if problem := check_question(question) or check_history(history):
            return refused(question, qid, problem, self.settings.mode)
        if self.settings.llm_enabled:
            from app.generate import LLMAnswerer

            return self.noted(LLMAnswerer(self).answer(question, history, qid))
        return self.noted(self.ask_extractive(question, history, qid))

    def stream(self, question: str, history: Sequence[dict[str, str]] = (), qid: str = "") -> Iterator[str | Answer]:
        """Text pieces as they arrive, then the final Answer (LLM mode); extractive yields the Answer at once."""
        if problem := check_question(question) or check_history(history):
            yield refused(question, qid, problem, self.settings.mode)
            return
        if self.settings.llm_enabled:
            from app.generate import LLMAnswerer

            for piece in LLMAnswerer(self).stream(question, history, qid):
                yield self.noted(piece) if isinstance(piece, Answer) else piece
        else:
            yield self.noted(self.ask_extractive(question, history, qid))

    def noted(self, answer: Answer) -> Answer:
        """The final answer with a note for each document it draws on (or the question names) that is
        repealed, expired or not yet in force on the question's date (app/status.py)."""
        return with_notes(self.store, answer, self.settings.question_date())

    def ask_extractive(self, question: str, history: Sequence[dict[str, str]] = (), qid: str = "") -> Answer:
        started = time.perf_counter()
        problem = check_question(question) or check_history(history)
        if problem:
            return refused(question, qid, problem, "extractive")
        today = self.settings.question_date()  # once per question: 去年 means one year throughout
        standalone = rewrite(question, history, today)
        if len(standalone) > MAX_QUESTION_CHARS:  # the earlier question carried over can make it long again
            problem = f"追问与上文合起来有 {len(standalone)} 字，超过 {MAX_QUESTION_CHARS} 字：请把问题完整、简短地重新问一遍。"
            return refused(question, qid, problem, "extractive")
        result = self.extract(standalone, today)
        return Answer(
            id=qid or content_id(question),
            question=question,
            answer=result.text,
            answerable=result.answerable,
            citations=result.citations,
            mode="extractive",
            elapsed_ms=(time.perf_counter() - started) * 1000,
            rewritten=standalone if standalone != question.strip() else "",
            related=result.related,
            records=result.records,
        )

    def extract(self, question: str, today: dt.date | None = None, limit: float | None = None) -> Extracted:
        """Extractive answer; a question about two things is answered part by part. `today` is the date
        the question's 去年/今年 are read against (default: Settings.question_date()). The question is
        analysed once here (`plan`) and the plan is passed down; each extracted answer then passes the
        refusal gate and threshold (`limit`: default the fitted one, app/data/refusal.json)."""
        plan = analyze(question, today or self.settings.question_date(), self.store.idf)
        return self.extract_plan(plan, self.refusal_limit if limit is None else limit)

    def extract_plan(self, plan: Query, limit: float | None = None) -> Extracted:
        """The extractive answer for an analysed question (see `extract`)."""
        top_k = self.settings.top_k
        if not plan.facets:
            # a question for several things ('各产业集群增速') reads twice as many passages
            return self.answer_one(plan, top_k * 2 if asks_for_many(plan.text) else top_k, limit)
        answers = []
        parts = [facet.text for facet in plan.facets]
        share = (MAX_ANSWER_CHARS - (len(parts) - 1)) // len(parts)  # combine() joins the parts with "；"
        ranked: Ranked = {}  # each part's ranking, retrieved again when the whole question is answered
        for facet in plan.facets:
            about = own_words(facet.text, [p for p in parts if p != facet.text])
            answers.append(self.answer_one(facet, top_k, limit, share, about, ranked))
        if not any(a.answerable for a in answers) or repeats_evidence(answers):
            return self.answer_one(plan, top_k, limit, ranked=ranked)
        return combine(answers, parts)

    def answer_one(self, plan: Query, top_k: int, limit: float | None, budget: int = MAX_ANSWER_CHARS,
                   about: tuple[str, ...] = (), ranked: Ranked | None = None) -> Extracted:
        """Retrieve, extract, gate. When the lead evidence misses a place, organisation, year or period the
        question names, the answer is sought again among the passages of a wider pool that name them all
        (CONSTRAINED_POOL x top_k), before the gate refuses. `ranked`: the question's rankings so far
        (app.retrieve.retrieve)."""
        hits = retrieve(self.store, plan, top_k, ranked=ranked)
        result = extract(self.store, plan, hits, budget, about)
        verdict = judge(plan, result, hits, self.store)
        if verdict is not None and verdict.missing:
            pool = retrieve(self.store, plan, top_k * CONSTRAINED_POOL)
            named = [h for h in pool if not lacks(plan, h.chunk, self.store)][:top_k]
            if named:
                hits = [Hit(h.chunk, h.score, rank) for rank, h in enumerate(named, start=1)]
                result = extract(self.store, plan, hits, budget, about)
                verdict = judge(plan, result, hits, self.store)
        return self.gate(plan, result, hits, limit, verdict)

    def gate(self, plan: Query, result: Extracted, hits: list[Hit], limit: float | None, verdict: Verdict | None) -> Extracted:
        """The result, or the normal refusal when its lead evidence (judged: `verdict`) misses a place,
        organisation, year or period the question names, or scores below the threshold (`limit`; None: the
        fitted one)."""
        if self.trace is not None:
            self.trace.append((plan, result, verdict))
        if verdict is None or not verdict.refuses(threshold() if limit is None else limit):
            return result
        return refusal(plan, hits)


def own_words(part: str, others: list[str]) -> tuple[str, ...]:
    """What sets one part of a two-part question apart: '2025年嘉兴工业投资增长多少' beside the 湖州 part ->
    ('嘉兴',). Years are left out (the extractor checks periods itself), and so are words that name the
    form of the answer ('时间和地点' asks two things of one subject)."""
    theirs = {t for o in others for t in tokenize(o)}
    return tuple(
        match_form(t) for t in dict.fromkeys(tokenize(part))
        if t not in theirs and not t.isdigit() and t not in GENERIC_NOUNS | PLAN_NOUNS and pos_tag(t) != "r"
    )


_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
MIN_CLAUSE = 4  # characters: a shorter shared clause ('2月', '其中') is no repeated statement


def clauses(quote: str) -> set[str]:
    """The clauses of a quote, as compared across parts: text between punctuation, at least MIN_CLAUSE long."""
    return {c.strip() for c in _CLAUSE_END.split(quote) if len(c.strip()) >= MIN_CLAUSE}


def repeats_evidence(answers: list[Extracted]) -> bool:
    """Whether two parts' answers lead with one chunk's clause in common. The parts then found one passage
    that states what both ask ('X和Y分为三种'): joined, the answer would say the same clause twice, each
    time within half the budget, so the whole question is answered once instead. Only each part's lead
    citation counts: a supporting piece that quotes a clause of the other part's passage (a dateline, a
    headline both pages carry) is no passage answering both."""
    seen: dict[str, set[str]] = {}
    for answer in answers:
        if not answer.answerable:
            continue
        mine: dict[str, set[str]] = {}
        for c in answer.citations[:1]:
            mine.setdefault(c.chunk_id, set()).update(clauses(c.quote))
        if any(seen.get(chunk, set()) & said for chunk, said in mine.items()):
            return True
        for chunk, said in mine.items():
            seen.setdefault(chunk, set()).update(said)
    return False


def check_question(question: object) -> str:
    """A Chinese message for unusable input, or '' when the question is fine. Every entry (UI, CLI, JSON
    lines, history) is held to the same bound: tokenizing and matching grow faster than the length."""
    if not isinstance(question, str):
        return f"问题应为文字，收到的是 {type(question).__name__}。"
    if not question.strip():
        return "请输入问题，例如：2025年人工智能产业规上营收是多少？"
    if len(question) > MAX_QUESTION_CHARS:
        return f"问题太长（{len(question)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内。"
    if _SURROGATE.search(question):
        return "问题中有无法识别的字符（输入可能不是 UTF-8 编码，例如 GBK）：请改用 UTF-8 重新输入。"
    return ""


def refused(question: object, qid: str, problem: str, mode: str) -> Answer:
    """The Answer for unusable input; undecodable characters are shown as '?', so the answer can be printed."""
    text = str(question).encode("utf-8", "replace").decode("utf-8")
    return Answer(qid or content_id(text), text, problem, False, (), mode, 0.0)


def check_history(history: object) -> str:
    """A Chinese message when the conversation cannot be used, or ''. Earlier questions are bounded like a new
    one (a follow-up carries them over); earlier answers get a wider bound, as a model's answer may be long."""
    if not isinstance(history, Sequence) or isinstance(history, str):
        return "对话历史应为列表：[{\"role\": \"user\", \"content\": \"…\"}, …]。"
    for number, message in enumerate(history, start=1):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"对话历史第{number}条应为 {{\"role\": \"user\" 或 \"assistant\", \"content\": \"…\"}}。"
        content = message.get("content")
        if not isinstance(content, str):
            return f"对话历史第{number}条的 content 应为文字，收到的是 {type(content).__name__}。"
        bound = MAX_QUESTION_CHARS if message["role"] == "user" else MAX_REPLY_CHARS
        if len(content) > bound:
            return f"对话历史第{number}条太长（{len(content)} 字，上限 {bound} 字）：请删减对话历史。"
        if _SURROGATE.search(content):
            return f"对话历史第{number}条中有无法识别的字符（可能不是 UTF-8 编码，例如 GBK）：请改用 UTF-8。"
    return ""
