"""OpenAI's wire format for app.api: chat messages -> (question, history), an Answer -> chat.completion
(plain or as chat.completion.chunk SSE events), search hits, and OpenAI's error shape. No HTTP here."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from app.answer import Assistant, check_history, check_question
from app.errors import KBQAError
from app.patterns import YEAR_AR
from app.schema import Answer, Hit
from app.settings import Settings

log = logging.getLogger(__name__)

MODEL = "kbqa"
MAX_MESSAGES = 100  # follow-ups are rewritten turn by turn; a bot keeps a few recent turns, not a log
KINDS = ("article", "policy", "indicator", "corpus")
_KEEPALIVE_S = 1.0  # while a model's text is being verified, an SSE comment this often keeps proxies patient
_PIECE = re.compile(r".+?(?:[。；！？](?![\[\d])|$)", re.DOTALL)  # a sentence with its [n] markers


class RequestProblem(KBQAError):
    """A request the API refuses: the HTTP status, OpenAI's error code and a Chinese message."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param


def error_body(message: str, code: str, status: int, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape, so its clients raise BadRequestError/AuthenticationError/... with our message."""
    kind = {401: "authentication_error", 500: "server_error", 503: "server_error"}.get(status, "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _text(content: object, number: int) -> object:
    """A message's text; OpenAI clients may send content as a list of {"type": "text", "text": …} parts."""
    if not isinstance(content, list):
        return content
    texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
    if len(texts) != len(content) or not all(isinstance(t, str) for t in texts):
        raise RequestProblem(400, f"第{number}条消息只能含文字内容（type 为 text），不支持图片或文件。", "invalid_content", "messages")
    return "".join(t for t in texts if isinstance(t, str))


def conversation(body: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """(question, history) from OpenAI `messages`: the last user message is the question, earlier user and
    assistant messages the history. System messages are left out: the answer's rules are ours."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestProblem(400, "缺少 messages：应为 [{\"role\": \"user\", \"content\": \"问题\"}, …]。", "invalid_messages", "messages")
    if len(messages) > MAX_MESSAGES:
        raise RequestProblem(400, f"messages 有 {len(messages)} 条，超过 {MAX_MESSAGES} 条：只需保留最近几轮对话。", "too_many_messages", "messages")
    turns: list[dict[str, Any]] = []
    for number, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            raise RequestProblem(400, f"第{number}条消息应为 {{\"role\", \"content\"}} 对象。", "invalid_messages", "messages")
        if message.get("role") in ("system", "developer"):
            continue
        turns.append({"role": message.get("role"), "content": _text(message.get("content"), number)})
    if not turns or turns[-1]["role"] != "user":
        raise RequestProblem(400, "最后一条消息应为用户的问题（role 为 user）。", "invalid_messages", "messages")
    *history, last = turns
    if problem := check_history(history):
        raise RequestProblem(400, problem, "invalid_history", "messages")
    if problem := check_question(last["content"]):
        raise RequestProblem(400, problem, "invalid_question", "messages")
    return str(last["content"]), history


def kbqa_field(answer: Answer) -> dict[str, Any]:
    """Everything the Answer carries beside its text: citations, answerable, verified, rewritten …"""
    return {k: v for k, v in answer.to_json().items() if k != "answer"}


def completion(answer: Answer) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()), "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                     "finish_reason": "stop", "logprobs": None}],
        "kbqa": kbqa_field(answer),
    }


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def completion_events(assistant: Assistant, question: str, history: Sequence[dict[str, str]]) -> Iterator[str]:
    """OpenAI's chat.completion.chunk events, ending with data: [DONE]. Only verified text is sent: a model's
    pieces are held until verify() (an SSE comment keeps the connection alive meanwhile), because a figure
    a client has shown cannot be taken back when the answer falls back to the extractive one."""
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL}

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        return _event({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

    yield chunk({"role": "assistant", "content": ""})
    final: Answer | None = None
    beat = time.monotonic()
    try:
        for piece in assistant.stream(question, history):
            if isinstance(piece, Answer):
                final = piece
            elif time.monotonic() - beat >= _KEEPALIVE_S:
                beat = time.monotonic()
                yield ": 核对中\n\n"
    except KBQAError as exc:
        yield _event(error_body(str(exc), "answer_failed", 503))
        return
    except Exception:  # the status line is sent: an error event is the only way left to say so
        log.exception("streamed answer failed")
        yield _event(error_body("服务内部错误，详情见服务端日志；请稍后重试。", "internal_error", 500))
        return
    if final is None:  # Assistant.stream always ends with its Answer; say so rather than end silently
        yield _event(error_body("回答中断：没有得到答案，请重试。", "answer_failed", 500))
        return
    for piece in _PIECE.findall(final.answer):
        yield chunk({"content": piece})
    yield chunk({}, "stop", kbqa=kbqa_field(final))
    yield "data: [DONE]\n\n"


def hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {"rank": hit.rank, "score": round(hit.score, 5), "source": c.source, "title": c.title, "locator": c.locator,
            "chunk_id": c.id, "doc_date": c.doc_date, "text": c.text}


def search_args(body: dict[str, Any], settings: Settings) -> tuple[str, int, set[str], str]:
    query, top_k, kinds, year = body.get("query"), body.get("top_k", settings.top_k), body.get("kind", []), body.get("year", "")
    if problem := check_question(query):
        raise RequestProblem(400, problem, "invalid_query", "query")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 50:
        raise RequestProblem(400, f"top_k 应为 1 到 50 之间的整数，收到的是 {top_k!r}。", "invalid_top_k", "top_k")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        raise RequestProblem(400, f"kind 应为 {'、'.join(KINDS)} 中的一个或几个。", "invalid_kind", "kind")
    if not isinstance(year, str) or not re.fullmatch(rf"(?:{YEAR_AR})?", year):  # "" filters no year
        raise RequestProblem(400, "year 应为四位年份，例如 \"2025\"。", "invalid_year", "year")
    return str(query), top_k, set(kinds), year
