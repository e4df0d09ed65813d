"""Several openai clients asking `python -m app serve` in parallel: errors, requests per second, p50/p95.

    .venv/bin/python -m bench.api_load --index-dir .kbqa/index --questions bench/kb_dev.jsonl \
        --clients 4 --seconds 30

Without --url it starts its own server on a free loopback port over --index-dir (which must already hold
an index: python -m ingest). Clients alternate plain and streamed requests; a streamed request's latency
is until data: [DONE], its first-content time is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai

from bench.common import ROOT, median, percentile


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, every successful request
    plain: list[float] = field(default_factory=list)  # seconds, plain requests
    streamed: list[float] = field(default_factory=list)  # seconds to data: [DONE], streamed requests
    first_content: list[float] = field(default_factory=list)  # seconds to the first non-empty delta
    errors: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # the question of each answer, in the same order
    wall_s: float = 0.0


def run_load(base_url: str, key: str, questions: list[str], clients: int = 4, seconds: float = 30.0) -> LoadResult:
    """`clients` threads, each with its own openai client, asking round-robin until `seconds` have passed."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop(number: int) -> None:
        client = openai.OpenAI(base_url=base_url, api_key=key or "unused", max_retries=0, timeout=120)
        turn = number
        while time.monotonic() < deadline:
            question = questions[turn % len(questions)]
            stream = turn % 2 == 1
            turn += clients
            started = time.perf_counter()
            first = None
            try:
                messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": question}]
                if stream:
                    parts = []
                    for chunk in client.chat.completions.create(model="kbqa", messages=messages, stream=True):
                        piece = chunk.choices[0].delta.content if chunk.choices else None
                        if piece and first is None:
                            first = time.perf_counter() - started
                        parts.append(piece or "")
                    text = "".join(parts)
                else:
                    text = client.chat.completions.create(model="kbqa", messages=messages).choices[0].message.content or ""
            except openai.OpenAIError as exc:
                with lock:
                    result.errors.append(f"{question}: {exc!r}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                result.answers.append(text)
                result.asked.append(question)
                (result.streamed if stream else result.plain).append(elapsed)
                if stream and first is not None:
                    result.first_content.append(first)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.perf_counter() - began
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(index_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "KBQA_INDEX_DIR": str(index_dir.resolve())}
    env.pop("KBQA_API_KEY", None)
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, f"{url}/v1"
            raise SystemExit(f"{index_dir} holds no usable index: run python -m ingest first")
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited {proc.returncode}") from None
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start within 120 s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", type=Path, required=True, help="jsonl with a question field per line")
    p.add_argument("--index-dir", type=Path, help="index to serve (when --url is not given)")
    p.add_argument("--url", help="base URL of a running server, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--key", default=os.environ.get("KBQA_API_KEY", ""))
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args(argv)
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.url is None and args.index_dir is None:
        p.error("give --url of a running server or --index-dir to start one")
    proc, url = (None, args.url) if args.url else _start_server(args.index_dir)
    try:
        result = run_load(url, args.key if args.url else "", questions, args.clients, args.seconds)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    ms = [x * 1000 for x in result.latencies]
    print(f"clients {args.clients}, {result.wall_s:.1f} s: {len(ms)} answers ({len(ms) / result.wall_s:.1f}/s), "
          f"{len(result.errors)} errors")
    print(f"all       p50 {median(ms):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms")
    streamed = [x * 1000 for x in result.streamed]
    plain = [x * 1000 for x in result.plain]
    print(f"plain     p50 {median(plain):7.1f} ms  p95 {percentile(plain, 0.95):7.1f} ms")
    print(f"streamed  p50 {median(streamed):7.1f} ms  p95 {percentile(streamed, 0.95):7.1f} ms  "
          f"(first content p50 {median([x * 1000 for x in result.first_content]):.1f} ms)")
    texts: dict[str, set[str]] = {}
    for question, text in zip(result.asked, result.answers, strict=True):
        texts.setdefault(question, set()).add(text)
    differing = [q for q, t in texts.items() if len(t) > 1]
    print(f"{len(texts)} questions asked; {len(differing)} got different answers on different requests (plain, streamed, in parallel)")
    for question in differing[:5]:
        print("differs:", question)
    for error in result.errors[:5]:
        print("error:", error)
    return 1 if result.errors or differing else 0


if __name__ == "__main__":
    sys.exit(main())
