"""python -m app serve: an OpenAI-compatible HTTP API over the same Assistant the UI and the CLI use, so an
OA system or a 企业微信/钉钉 bot can ask with any OpenAI client, unchanged.

Starlette + uvicorn, not FastAPI: both already come with Streamlit (no new dependency), and every input is
held to the project's own checks (check_question, check_history), whose messages are Chinese; FastAPI's
schema validation would answer malformed bodies with English 422s that would have to be translated back.

Answers are computed in Starlette's thread pool. Every request is answered from one index generation (see
Service.assistant); the answer text is the Answer's, with its [n] markers, and everything else the Answer
carries (citations, answerable, verified, the rewritten question) travels in an extra "kbqa" field.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
import sys
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.answer import Assistant
from app.api_format import (
    MODEL,
    RequestProblem,
    completion,
    completion_events,
    conversation,
    error_body,
    hit_json,
    search_args,
)
from app.errors import ConfigError, IndexStateError, KBQAError
from app.http_body import declared_over, read_capped
from app.settings import Settings
from app.store import Store

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # the CLI's bound on a --history file: a conversation, never more


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # any other name may resolve to a LAN address


class Service:
    """The process's one Assistant, shared by every request, and the lock that guards its reload."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._shared = Assistant(settings)
        self._lock = threading.Lock()
        self._live: Store | None = None

    def assistant(self) -> Assistant:
        """An Assistant pinned to the live generation for one request. The shared one re-opens the index when
        an ingest publishes a new generation (Assistant.reload); a question already running keeps the Store
        it started with, since hit positions from one generation mean nothing in another. A reload that fails
        half-way through a publish keeps answering from the previous generation."""
        with self._lock:
            try:
                self._shared.reload(if_changed=True)
                self._live = self._shared.store
            except IndexStateError:
                if self._live is None:
                    raise
                log.warning("index reload failed; answering from generation %s", self._live.generation)
            return Assistant(self.settings, self._live)


def _local_host(request: Request) -> None:
    """Without a key the API answers only requests addressed to this machine by name: a web page whose own
    domain re-resolves to 127.0.0.1 (DNS rebinding) is same-origin to the browser, but its Host header still
    names that domain."""
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not is_loopback(name):
        raise RequestProblem(403, f"未设置 KBQA_API_KEY 时只接受发往本机地址的请求（收到的 Host：{host[:80]}）："
                             "请用 http://127.0.0.1 或 http://localhost 访问，或设置 KBQA_API_KEY。", "forbidden_host")


def _authorize(request: Request, settings: Settings) -> None:
    if not settings.api_key:
        _local_host(request)
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), settings.api_key.encode()):
        raise RequestProblem(401, "API 密钥不正确或缺失：请在请求头中提供 Authorization: Bearer <KBQA_API_KEY>。",
                             "invalid_api_key")


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, read no further than MAX_BODY_BYTES."""
    too_big = RequestProblem(413, f"请求体超过 {MAX_BODY_BYTES // 1024 // 1024} MB：只需发送问题和最近几轮对话。",
                             "request_too_large")
    if declared_over(request, MAX_BODY_BYTES):
        raise too_big  # said before the media type
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != "application/json":
        # a browser sends text/plain across sites without asking first; application/json makes it ask
        raise RequestProblem(415, "请求体须为 JSON：请加请求头 Content-Type: application/json。", "unsupported_media_type")
    raw = await read_capped(request, MAX_BODY_BYTES)
    if raw is None:
        raise too_big
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON errors, integers of 4,300+ digits
        raise RequestProblem(400, "请求体不是有效的 UTF-8 JSON。", "invalid_json") from None
    if not isinstance(body, dict):
        raise RequestProblem(400, f"请求体应为 JSON 对象，收到的是 {type(body).__name__}。", "invalid_json")
    return body


def create_app(settings: Settings, service: Service | None = None) -> Starlette:
    """The ASGI app; `serve` runs it under uvicorn, tests may run it any way they like."""
    service = service or Service(settings)

    async def pinned() -> Assistant:
        try:
            return await run_in_threadpool(service.assistant)
        except IndexStateError as exc:
            raise RequestProblem(503, str(exc), "index_unavailable") from None

    async def chat(request: Request) -> Response:
        _authorize(request, settings)
        body = await _json_body(request)
        question, history = conversation(body)
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise RequestProblem(400, "stream 应为 true 或 false。", "invalid_stream", "stream")
        assistant = await pinned()
        if stream:
            return StreamingResponse(completion_events(assistant, question, history), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            answer = await run_in_threadpool(assistant.ask, question, history)
        except KBQAError as exc:
            raise RequestProblem(503, str(exc), "answer_failed") from None
        return JSONResponse(completion(answer))

    async def search(request: Request) -> Response:
        _authorize(request, settings)
        query, top_k, kinds, year = search_args(await _json_body(request), settings)
        assistant = await pinned()
        try:
            hits = await run_in_threadpool(assistant.search, query, top_k, kinds, year)
        except IndexStateError as exc:
            raise RequestProblem(503, str(exc), "index_unavailable") from None
        except KBQAError as exc:
            raise RequestProblem(400, str(exc), "invalid_query", "query") from None
        return JSONResponse({"object": "list", "query": query, "data": [hit_json(h) for h in hits]})

    async def models(request: Request) -> Response:
        _authorize(request, settings)
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "kbqa"}]})

    async def healthz(request: Request) -> Response:
        """Open to all (a load balancer has no key): says only whether an index answers, in which mode."""
        if not settings.api_key:
            _local_host(request)
        try:
            assistant = await pinned()
        except RequestProblem as exc:
            log.warning("healthz: %s", exc)  # the detail (paths, endpoints) stays in the server log
            raise RequestProblem(503, "索引不可用（尚未建立、正在重建或设置不符）：请运行 python -m ingest 建立索引；详情见服务端日志。", "index_unavailable") from None
        return JSONResponse({"status": "ok", "mode": settings.mode, "generation": assistant.store.generation})

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestProblem)
        return JSONResponse(error_body(str(exc), exc.code, exc.status, exc.param), status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: f"没有这个接口：{request.url.path}。可用的有 /v1/chat/completions、/v1/search、/v1/models、/healthz。",
                   405: f"{request.url.path} 不接受 {request.method} 请求。"}.get(exc.status_code, str(exc.detail))
        return JSONResponse(error_body(message, "not_found" if exc.status_code == 404 else "bad_request", exc.status_code),
                            status_code=exc.status_code)

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("request %s failed", request.url.path, exc_info=exc)
        return JSONResponse(error_body("服务内部错误，详情见服务端日志；请稍后重试。", "internal_error", 500), status_code=500)

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/search", search, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={RequestProblem: refused, HTTPException: http_error, Exception: crashed},
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Run the API until interrupted. Refuses a non-loopback host without KBQA_API_KEY: the chat answers from
    internal documents, and a LAN address would open it to every machine that can reach this one."""
    import uvicorn

    from app.tags import pos_tag
    from app.tokens import tokenize

    if not settings.api_key and not is_loopback(host):
        raise ConfigError(
            f"在 {host} 上提供接口会让局域网内的任何人都能提问：请先设置 KBQA_API_KEY（至少 16 个字符的随机串，"
            "例如 python -c \"import secrets; print(secrets.token_urlsafe(32))\" 的输出），"
            "调用方在请求头中带上 Authorization: Bearer <密钥>；只在本机使用请用 --host 127.0.0.1。"
        )
    if not 1 <= port <= 65535:
        raise ConfigError(f"端口 {port} 无效：应在 1 到 65535 之间。")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"无法在 {host}:{port} 上监听（{exc.strerror}）：端口可能已被占用，请用 --port 换一个。") from None
    service = Service(settings)
    tokenize("经信知识助手")  # load the segmenter and the tagger now, not inside the first question
    pos_tag("产业")
    try:
        service.assistant()
    except IndexStateError as exc:
        print(f"注意：{exc}（接口已启动，建好索引后即可回答。）", file=sys.stderr, flush=True)
    key = "需要 API 密钥" if settings.api_key else "无需密钥，仅限本机"
    print(f"经信知识助手接口：http://{host}:{port}/v1（{key}；{'大模型' if settings.llm_enabled else '抽取式'}模式）", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(create_app(settings, service), log_level="info", server_header=False)).run(sockets=[sock])
    return 0
