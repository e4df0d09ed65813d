"""A small OpenAI-compatible HTTP server on 127.0.0.1 (port 0): chat completions (plain and streamed) and
embeddings. It records every request; `behaviour` decides the reply (text, an error status, a bad stream)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.embed import hash_vectors


@dataclass
class Behaviour:
    reply: str = "2025年人工智能产业规上营收为143.79亿元[1]。"
    condense: str = ""
    status: int = 200
    fail_times: int = 0  # answer `status` this many times, then succeed
    malformed: bool = False
    delay_s: float = 0.0
    chunk_chars: int = 4


@dataclass
class FakeOpenAI:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                b = fake.behaviour
                if b.delay_s:
                    time.sleep(b.delay_s)
                if b.status != 200 and (b.fail_times == 0 or sum(r["path"] == self.path for r in fake.requests) <= b.fail_times):
                    self._json(b.status, {"error": {"message": "fake failure", "type": "fake", "code": b.status}})
                    return
                if self.path.endswith("/embeddings"):
                    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    vectors = hash_vectors([str(x) for x in inputs], 64)
                    self._json(200, {"object": "list", "model": body.get("model"), "data": [
                        {"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)
                    ], "usage": {"prompt_tokens": 1, "total_tokens": 1}})
                    return
                prompt = json.dumps(body.get("messages", []), ensure_ascii=False)
                text = b.condense if ("改写" in prompt and b.condense) else b.reply
                if body.get("stream"):
                    self._stream(text, body.get("model", "fake"))
                else:
                    self._json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model"),
                                     "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": text}}],
                                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                size = fake.behaviour.chunk_chars
                for i in range(0, len(text), size):
                    delta = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {"content": text[i : i + size]}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(delta, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                    if fake.behaviour.malformed and i >= size:
                        self.wfile.write(b"data: {not json at all\n\n")
                        self.wfile.flush()
                        return
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]
