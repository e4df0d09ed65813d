"""python -m app serve, driven by the official openai client over loopback: a real server process, a real
index built from a small KB written here, real jieba and Chroma. Nothing of ours is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from app.api_format import RequestProblem, search_args
from app.errors import ConfigError
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import QUESTION_DATE, ROOT, free_port

pytestmark = pytest.mark.network

KEY = "test-key-0123456789abcdef"
QUESTION = "2025年人工智能产业规上营收是多少"
KB = {
    "articles/运行回顾.md": (
        "# 2025年全市产业运行回顾\n\n发布日期：2026-01-15\n\n"
        "2025年，全市人工智能产业的规上营收达到143.79亿元，较上年增长38.2%。\n\n"
        "## 通信设施\n\n2025年全市新建5G基站1260个，累计达到9850个。\n"
    ),
    "policies/技改办法.md": (
        "# 技术改造补助办法\n\n发布日期：2025-06-01\n\n"
        "第三条 单个项目补助不超过设备投资额的10%，最高500万元。\n"
    ),
}


def _write_kb(kb: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = kb / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _env(kb: Path, index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KBQA_", "OPENAI_"))}
    return env | {"KBQA_KB_DIR": str(kb), "KBQA_INDEX_DIR": str(index),
                  "KBQA_REFERENCE_DATE": QUESTION_DATE.isoformat(), **extra}


def _start(kb: Path, index: Path, log: Path, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m app serve` on a free loopback port; returns once it answers HTTP at all."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                                cwd=ROOT, env=_env(kb, index, **extra), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text(encoding='utf-8')}")
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"server did not start: {log.read_text(encoding='utf-8')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("api")
    kb, index = tmp / "kb", tmp / "index"
    _write_kb(kb, KB)
    settings = Settings(index_dir=index, kb_dir=kb, reference_date=QUESTION_DATE)
    run_ingest([kb], settings)
    proc, url = _start(kb, index, tmp / "serve.log", KBQA_API_KEY=KEY)
    yield {"url": url, "kb": kb, "settings": settings}
    _stop(proc)


def _client(server: dict[str, Any], key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server['url']}/v1", api_key=key, max_retries=0, timeout=60)


def test_answer_with_citations(server: dict[str, Any]) -> None:
    reply = _client(server).chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content or ""
    assert "143.79" in content and "[1]" in content
    assert reply.choices[0].finish_reason == "stop"
    extra = (reply.model_extra or {})["kbqa"]
    assert extra["answerable"] is True and extra["verified"] is True
    assert extra["citations"][0]["source"] == "kb/articles/运行回顾.md"
    assert "143.79" in extra["citations"][0]["quote"]


def test_streamed_answer_matches_the_plain_one(server: dict[str, Any]) -> None:
    client = _client(server)
    plain = client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content and "143.79" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    extra = (chunks[-1].model_extra or {})["kbqa"]
    assert extra["citations"][0]["n"] == 1 and "143.79" in extra["citations"][0]["quote"]


def test_follow_up_uses_the_history(server: dict[str, Any]) -> None:
    client = _client(server)
    first = client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}])
    messages: list[Any] = [
        {"role": "system", "content": "你是助手"},  # ignored: the answer's rules are the server's
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "同比增长多少？"}]},
    ]
    reply = client.chat.completions.create(model="kbqa", messages=messages)
    assert "38.2%" in (reply.choices[0].message.content or "")
    assert "人工智能" in (reply.model_extra or {})["kbqa"]["rewritten"]


def test_wrong_or_missing_key_is_refused(server: dict[str, Any]) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        _client(server, "wrong-key-0123456789").chat.completions.create(
            model="kbqa", messages=[{"role": "user", "content": QUESTION}])
    assert "API 密钥" in caught.value.message
    plain = httpx.post(f"{server['url']}/v1/search", json={"query": "5G基站"}, timeout=30)
    assert plain.status_code == 401 and plain.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{server['url']}/healthz", timeout=30).status_code == 200  # a load balancer has no key


@pytest.mark.parametrize("question", ["   ", "\u3000\n", ""])
def test_blank_question_is_refused_cleanly(server: dict[str, Any], question: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _client(server).chat.completions.create(model="kbqa", messages=[{"role": "user", "content": question}])
    assert caught.value.status_code == 400 and "请输入问题" in caught.value.message


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"messages": []}, 400, "invalid_messages"),
    ({"messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "好"}]}, 400, "invalid_messages"),
    ({"messages": [{"role": "user", "content": "问" * 501}]}, 400, "invalid_question"),
    ({"messages": [{"role": "user", "content": 7}, {"role": "user", "content": QUESTION}]}, 400, "invalid_history"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400, "invalid_content"),
    ({"messages": [{"role": "user", "content": QUESTION}] * 101}, 400, "too_many_messages"),
    ({"messages": [{"role": "user", "content": QUESTION}], "stream": "yes"}, 400, "invalid_stream"),
])
def test_bad_requests_get_openai_errors_in_chinese(server: dict[str, Any], body: dict[str, Any], status: int, code: str) -> None:
    reply = httpx.post(f"{server['url']}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == code and error["type"] == "invalid_request_error"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


def test_oversized_and_malformed_bodies(server: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    big = httpx.post(f"{server['url']}/v1/chat/completions", content=b"[" * (3 * 1024 * 1024), headers=headers, timeout=60)
    assert big.status_code == 413 and "MB" in big.json()["error"]["message"]
    broken = httpx.post(f"{server['url']}/v1/chat/completions", content="{问题".encode("gbk"), headers=headers, timeout=30)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    missing = httpx.get(f"{server['url']}/v1/nothing", headers=headers, timeout=30)
    assert missing.status_code == 404 and "/v1/chat/completions" in missing.json()["error"]["message"]


def test_search_returns_hits(server: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    reply = httpx.post(f"{server['url']}/v1/search", json={"query": "人工智能产业规上营收", "top_k": 2}, headers=headers, timeout=30)
    assert reply.status_code == 200
    hits = reply.json()["data"]
    assert 1 <= len(hits) <= 2 and hits[0]["rank"] == 1 and "143.79" in hits[0]["text"]
    policy = httpx.post(f"{server['url']}/v1/search", json={"query": "补助上限", "kind": ["policy"]}, headers=headers, timeout=30)
    assert {h["source"] for h in policy.json()["data"]} == {"kb/policies/技改办法.md"}
    bad = httpx.post(f"{server['url']}/v1/search", json={"query": "补助", "top_k": 0}, headers=headers, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "top_k"


@pytest.mark.parametrize(("year", "ok"), [
    ("", True), ("2025", True), ("1999", True), ("2025年", False), ("25", False), ("1899", False), (2025, False),
])
def test_search_year_is_a_four_digit_year_or_none(settings: Settings, year: object, ok: bool) -> None:
    body = {"query": "补助上限", "year": year}
    if ok:
        assert search_args(body, settings)[3] == year
        return
    with pytest.raises(RequestProblem) as problem:
        search_args(body, settings)
    assert (problem.value.status, problem.value.code, problem.value.param) == (400, "invalid_year", "year")


def test_models_are_listed(server: dict[str, Any]) -> None:
    assert [m.id for m in _client(server).models.list()] == ["kbqa"]


def test_parallel_clients_get_no_error(server: dict[str, Any]) -> None:
    from bench.api_load import run_load

    result = run_load(f"{server['url']}/v1", KEY, [QUESTION, "2025年全市新建5G基站多少个"], clients=4, seconds=3.0)
    assert result.errors == [] and len(result.latencies) >= 4
    assert all("143.79" in text or "1260" in text for text in result.answers)


def test_new_generation_is_answered_without_restart(server: dict[str, Any]) -> None:
    client = _client(server)
    question = "2025年全市工业机器人密度是多少"
    before = client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": question}])
    assert (before.model_extra or {})["kbqa"]["answerable"] is False
    _write_kb(server["kb"], {"articles/机器人.md": "# 机器人应用\n\n发布日期：2026-01-20\n\n2025年全市工业机器人密度达到每万名工人412台。\n"})
    run_ingest([server["kb"]], server["settings"])
    after = client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": question}])
    assert "412" in (after.choices[0].message.content or "")


def test_no_index_gives_503_until_one_is_built(tmp_path: Path) -> None:
    proc, url = _start(tmp_path / "kb", tmp_path / "index", tmp_path / "serve.log")
    try:
        health = httpx.get(f"{url}/healthz", timeout=30)
        assert health.status_code == 503 and "python -m ingest" in health.json()["error"]["message"]
        with pytest.raises(openai.InternalServerError) as caught:
            openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0).chat.completions.create(
                model="kbqa", messages=[{"role": "user", "content": QUESTION}])
        assert caught.value.status_code == 503
    finally:
        _stop(proc)


@pytest.mark.parametrize(("host", "key", "says"), [
    ("0.0.0.0", "", "KBQA_API_KEY"),
    ("192.168.1.10", "", "KBQA_API_KEY"),
    ("127.0.0.1", "short", "至少 16 个字符"),
])
def test_serve_refuses_an_open_host_without_a_key(tmp_path: Path, host: str, key: str, says: str) -> None:
    env = _env(tmp_path / "kb", tmp_path / "index", **({"KBQA_API_KEY": key} if key else {}))
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--host", host, "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_api_key_setting_is_validated_and_hidden() -> None:
    with pytest.raises(ConfigError, match="KBQA_API_KEY"):
        Settings(api_key="abc")
    with pytest.raises(ConfigError):
        Settings(api_key="has a space in it 0123")
    assert KEY not in repr(Settings(api_key=KEY))


def test_ui_listens_on_loopback_without_deploy_button_unless_opened() -> None:
    """Streamlit's effective config in the project folder (what run.sh starts with), and the override
    README names for a LAN; before, the address was unset (every interface) and the toolbar mode auto."""
    streamlit = [sys.executable, "-m", "streamlit", "config", "show"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    shown = subprocess.run(streamlit, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120).stdout
    assert 'address = "127.0.0.1"' in shown and 'toolbarMode = "viewer"' in shown
    opened = subprocess.run(streamlit, cwd=ROOT, env=env | {"STREAMLIT_SERVER_ADDRESS": "0.0.0.0"},
                            capture_output=True, text=True, timeout=120).stdout
    assert 'address = "0.0.0.0"' in opened


def test_keyless_api_answers_only_local_json_requests(server: dict[str, Any]) -> None:
    """Without a key: a page on another domain that re-resolves to 127.0.0.1 (DNS rebinding) sends its own
    Host, and a cross-site text/plain POST needs no preflight; both are refused. A JSON integer of thousands
    of digits is a bad request, not a crash."""
    from dataclasses import replace

    from starlette.testclient import TestClient

    from app.api import create_app

    keyless = replace(server["settings"], api_key="")
    with TestClient(create_app(keyless), base_url="http://127.0.0.1:8000") as http:
        assert http.post("/v1/search", json={"query": "人工智能产业规上营收"}).status_code == 200
        rebinding = http.post("/v1/search", json={"query": "人工智能"}, headers={"Host": "evil.example:8000"})
        assert rebinding.status_code == 403 and "KBQA_API_KEY" in rebinding.json()["error"]["message"]
        assert http.get("/healthz", headers={"Host": "evil.example"}).status_code == 403
        plain = http.post("/v1/search", content='{"query": "人工智能"}'.encode(), headers={"Content-Type": "text/plain"})
        assert plain.status_code == 415
        huge = http.post("/v1/search", content=b'{"query": "a", "top_k": ' + b"1" * 5000 + b"}",
                         headers={"Content-Type": "application/json"})
        assert huge.status_code == 400 and huge.json()["error"]["code"] == "invalid_json"


def test_llm_stream_sends_only_verified_text(server: dict[str, Any]) -> None:
    """LLM mode through the real openai client (in-process app): a model figure that does not verify never
    reaches the client, since the answer falls back to the source's words after the client has read it."""
    from dataclasses import replace

    from starlette.testclient import TestClient

    from app.api import create_app
    from tests.fake_openai import Behaviour, FakeOpenAI

    fake = FakeOpenAI(Behaviour(reply="2025年人工智能产业规上营收为150.00亿元[1]。", chunk_chars=3)).start()
    try:
        settings = replace(server["settings"], llm_model="fake-model", llm_api_key="sk-test", llm_base_url=fake.base_url,
                           llm_timeout_s=5.0, llm_max_retries=0, api_key=KEY)
        with TestClient(create_app(settings)) as http:
            client = openai.OpenAI(base_url="http://testserver/v1", api_key=KEY, http_client=http, max_retries=0)
            chunks = list(client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            extra = (chunks[-1].model_extra or {})["kbqa"]
            assert "150.00" not in text and "143.79" in text
            assert extra["verified"] is False and extra["mode"] == "extractive" and "150.00" in extra["notice"]
            fake.behaviour.reply = "2025年人工智能产业规上营收为143.79亿元[1]。"
            chunks = list(client.chat.completions.create(model="kbqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == fake.behaviour.reply
            assert (chunks[-1].model_extra or {})["kbqa"]["verified"] is True
    finally:
        fake.stop()
