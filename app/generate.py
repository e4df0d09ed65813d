"""LLM answerer over any OpenAI-compatible endpoint: retrieve -> prompt (prompts/) -> ChatOpenAI -> stream,
then verify every figure against the cited sources. Any failure gives the extractive answer instead."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_openai import ChatOpenAI

from app.extract import chunk_sentences, citation, defuse_markers
from app.followup import rewrite
from app.prompts import REFUSAL, render
from app.query import analyze
from app.retrieve import retrieve
from app.schema import Answer, Chunk, Citation, Hit, content_id
from app.settings import Settings
from app.verify import figures, verify

if TYPE_CHECKING:
    from app.answer import Assistant

log = logging.getLogger(__name__)

_FAILURES: list[tuple[type[BaseException], str]] = [
    (openai.APITimeoutError, "大模型服务响应超时"),
    (openai.AuthenticationError, "大模型服务拒绝了密钥（401），请检查 API 密钥"),
    (openai.PermissionDeniedError, "大模型服务拒绝访问（403）"),
    (openai.RateLimitError, "大模型服务请求过于频繁（429），重试后仍失败"),
    (openai.InternalServerError, "大模型服务内部错误（5xx），重试后仍失败"),
    (openai.APIConnectionError, "无法连接大模型服务，请检查接口地址"),
    (openai.APIStatusError, "大模型服务返回错误"),
    (openai.OpenAIError, "大模型服务返回了无法解析的内容"),
    (httpx.HTTPError, "大模型服务连接中断"),
    (ValueError, "大模型服务返回了无法解析的内容"),
]


def chat_model(settings: Settings) -> ChatOpenAI:
    """ChatOpenAI against the configured base_url; the client retries 429/5xx with backoff."""
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.llm_api_key,  # type: ignore[arg-type]
        base_url=settings.llm_base_url or None,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        streaming=True,
    )


_GAP = r"[\s\u200b-\u200d\u2060\ufeff]*"  # spaces of any width and invisible joiners
# '</资料>' in any width, spacing or spelling a model may read as the tag: ＜／资料＞, < / 资 料 >, &lt;/資料&gt;
_SOURCE_TAG = re.compile(
    rf"(?:[<＜﹤〈⟨‹《]|&lt;|&#0*60;|&#x0*3c;){_GAP}([/／∕⁄\\＼]?){_GAP}[资資]{_GAP}料{_GAP}(?:[>＞﹥〉⟩›》]|&gt;|&#0*62;|&#x0*3e;)",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    """Source text can neither close (or open) the data block it sits in nor forge a numbered source header:
    tag look-alikes become '〔/资料〕' and '[n]' becomes '〔n〕'."""
    return defuse_markers(_SOURCE_TAG.sub(lambda m: f"〔{'/' if m.group(1) else ''}资料〕", text))


def _field(text: str) -> str:
    """A header field stays on the header's one line."""
    return " ".join(_clean(text).split())


def sources_block(chunks: list[Chunk]) -> str:
    return "\n\n".join(
        render("source", n=str(i), title=_field(c.title or c.source), locator=_field(c.locator) or "—",
               date=_field(c.doc_date) or "不详", text=_clean(c.text))
        for i, c in enumerate(chunks, start=1)
    )


def answer_messages(question: str, chunks: list[Chunk]) -> list[BaseMessage]:
    return [
        SystemMessage(render("answer_system", refusal=REFUSAL)),
        HumanMessage(render("answer_user", sources=sources_block(chunks), question=question, refusal=REFUSAL)),
    ]


def answer_chain(settings: Settings) -> Runnable[dict[str, Any], str]:
    """LCEL: {question, chunks} -> messages -> model -> text (streamable)."""
    def to_messages(x: dict[str, Any]) -> list[BaseMessage]:
        return answer_messages(x["question"], x["chunks"])

    return RunnableLambda(to_messages) | chat_model(settings) | StrOutputParser()


def condense_chain(settings: Settings) -> Runnable[dict[str, Any], str]:
    def to_messages(x: dict[str, Any]) -> list[BaseMessage]:
        history = "\n".join(f"{'用户' if m['role'] == 'user' else '助手'}：{m['content']}" for m in x["history"][-6:])
        return [HumanMessage(render("condense", history=history, question=x["question"]))]

    return RunnableLambda(to_messages) | chat_model(settings) | StrOutputParser()


def failure_message(exc: BaseException) -> str:
    for kind, message in _FAILURES:
        if isinstance(exc, kind):
            return message
    return "大模型服务出错"


class LLMAnswerer:
    """One question through the model; falls back to the extractive answer on failure or (by setting)
    when a figure cannot be verified."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    def answer(self, question: str, history: Sequence[dict[str, str]] = (), qid: str = "") -> Answer:
        final: Answer | None = None
        for piece in self.stream(question, history, qid):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def _standalone(self, question: str, history: Sequence[dict[str, str]]) -> str:
        from app.answer import check_question

        if not history:
            return question.strip()
        try:
            text = condense_chain(self.settings).invoke({"history": list(history), "question": question})
            condensed = text.strip().splitlines()[0].strip() if text.strip() else ""
            # the model's rewrite is bounded like a typed question: a long or broken one is not used
            return condensed if condensed and not check_question(condensed) else rewrite(
                question, history, self.settings.question_date())
        except Exception as exc:  # noqa: BLE001 - any model failure: rewrite without the model
            log.warning("condense failed (%s); using the extractive rewrite", failure_message(exc))
            return rewrite(question, history, self.settings.question_date())

    def stream(self, question: str, history: Sequence[dict[str, str]] = (), qid: str = "") -> Iterator[str | Answer]:
        from app.answer import check_question

        started = time.perf_counter()
        if problem := check_question(question):
            yield Answer(qid or content_id(question), question, problem, False, (), "llm", 0.0)
            return
        standalone = self._standalone(question, history)
        hits = retrieve(self.assistant.store, analyze(standalone, self.settings.question_date()), self.settings.top_k)
        chunks = [h.chunk for h in hits]
        rewritten = standalone if standalone != question.strip() else ""
        if not chunks:
            yield self._fallback(question, standalone, qid, started, "知识库为空或没有相关资料。")
            return
        parts: list[str] = []
        try:
            for piece in answer_chain(self.settings).stream({"question": standalone, "chunks": chunks}):
                parts.append(piece)
                yield piece
        except Exception as exc:  # noqa: BLE001 - every model/stream failure ends in the extractive answer
            log.warning("LLM call failed: %r", exc)
            yield self._fallback(question, standalone, qid, started, f"{failure_message(exc)}，以下为原文摘录答案。")
            return
        text = "".join(parts).strip()
        yield self._finish(question, rewritten, qid, started, text, hits)

    def _finish(self, question: str, rewritten: str, qid: str, started: float, text: str, hits: list[Hit]) -> Answer:
        chunks = [h.chunk for h in hits]
        if not text or REFUSAL.rstrip("。") in text:
            related = tuple(citation(i, c, chunk_sentences(c)[0]) for i, c in enumerate(chunks[:3], start=1))
            return Answer(qid or content_id(question), question, REFUSAL, False, (), "llm",
                          (time.perf_counter() - started) * 1000, rewritten=rewritten, related=related)
        verdict = verify(text, chunks)
        cites = tuple(_llm_citation(n, chunks[n - 1], text) for n in verdict.cited)
        answer = Answer(
            id=qid or content_id(question), question=question, answer=text, answerable=True, citations=cites,
            mode="llm", elapsed_ms=(time.perf_counter() - started) * 1000, verified=verdict.verified,
            unsupported=verdict.unsupported, rewritten=rewritten,
        )
        if not verdict.verified and self.settings.fallback_on_unverified:
            fallback = self._fallback(question, rewritten or question, qid, started,
                                      f"大模型回答中的 {'、'.join(verdict.unsupported)} 未能在引用原文中核实，已改用原文摘录答案。")
            return replace(fallback, verified=False, unsupported=verdict.unsupported)
        return answer

    def _fallback(self, question: str, standalone: str, qid: str, started: float, notice: str) -> Answer:
        extracted = self.assistant.extract(standalone)
        return Answer(
            id=qid or content_id(question), question=question, answer=extracted.text, answerable=extracted.answerable,
            citations=extracted.citations, mode="extractive", elapsed_ms=(time.perf_counter() - started) * 1000,
            rewritten=standalone if standalone != question.strip() else "", related=extracted.related,
            notice=notice, records=extracted.records,
        )


def _llm_citation(n: int, chunk: Chunk, answer: str) -> Citation:
    """Quote the sentences of the chunk that carry the answer's figures (else the whole chunk)."""
    wanted = {(v, u) for _, v, u in figures(answer)}
    sentences = [s for s in chunk_sentences(chunk) if {(v, u) for _, v, u in figures(s)} & wanted]
    quote = "".join(sentences) if sentences else chunk.text
    return citation(n, chunk, re.sub(r"\s+$", "", quote))
