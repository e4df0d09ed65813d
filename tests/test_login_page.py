"""The login and logout pages server.py mounts beside Streamlit: an HttpOnly, SameSite=Strict cookie set by an
HTTP response, the same delay and lockout as the store, a logout that needs a form token and kills the cookie.

Real routes through Starlette's TestClient (no Origin header unless a test sends one), real bcrypt, a real
SQLite state file in tmp_path. The browser side (document.cookie, a copied cookie after logout) is in
tests/test_browser.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import login_page
from app.auth import AuthStore, hash_password, load_auth_config, state_path
from app.login_page import LOGIN_PATH, LOGOUT_PATH, MAX_FORM_BYTES, routes
from app.settings import from_env

COOKIE = "kbqa_page"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return {
        "credentials": {"usernames": {"admin": {"name": "管理员", "password": hash_password("s3cret-pass"), "roles": ["admin"]}}},
        "cookie": {"name": COOKIE, "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }


@pytest.fixture(autouse=True)
def unmark_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """routes() tells the Streamlit script of this process to link to the pages; undo it for later tests."""
    monkeypatch.setattr(login_page, "_served", False)


@pytest.fixture
def auth_env(config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KBQA_AUTH_CONFIG", str(path))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KBQA_LOGIN_DELAY_S", "0")  # the growing wait itself is tested in tests/test_auth.py
    return path


@pytest.fixture
def client(auth_env: Path) -> Iterator[TestClient]:
    with TestClient(Starlette(routes=routes()), follow_redirects=False) as c:
        yield c


def store() -> AuthStore:
    settings = from_env()
    assert settings.auth_config
    return AuthStore(state_path(settings), load_auth_config(settings.auth_config), settings)


def log_in(client: TestClient, password: str = "s3cret-pass", **headers: str) -> Any:
    return client.post(LOGIN_PATH, data={"username": "admin", "password": password}, headers=headers)


def test_the_login_page_is_a_plain_chinese_form_without_scripts(client: TestClient) -> None:
    page = client.get(LOGIN_PATH)
    assert page.status_code == 200 and "管理员登录" in page.text and 'type="password"' in page.text
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"  # no-referrer: Chromium posts the form with Origin: null


def test_a_right_password_sets_an_httponly_strict_cookie(client: TestClient) -> None:
    """Before: the cookie was written by JavaScript (document.cookie), readable by any script on the page."""
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    header = response.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=") and "HttpOnly" in header and "SameSite=strict" in header
    assert "Path=/" in header and "Max-Age=86400" in header and "Secure" not in header  # plain http: no Secure
    token = header.split(";")[0].split("=", 1)[1]
    assert store().session_user(token) == "admin"
    assert client.get(LOGIN_PATH).status_code == 303  # a live session goes straight to the app


def test_over_https_the_cookie_is_secure(auth_env: Path) -> None:
    with TestClient(Starlette(routes=routes()), base_url="https://kbqa.test", follow_redirects=False) as client:
        assert "Secure" in log_in(client).headers["set-cookie"]


def test_wrong_passwords_get_the_stores_delay_and_lockout(client: TestClient) -> None:
    for _ in range(5):
        response = log_in(client, "wrong")
        assert response.status_code == 401 and "set-cookie" not in response.headers
    assert "锁定" in response.text
    response = log_in(client)  # the right password while locked
    assert response.status_code == 401 and "已锁定" in response.text and "set-cookie" not in response.headers


def test_what_the_page_echoes_is_escaped(client: TestClient) -> None:
    response = client.post(LOGIN_PATH, data={"username": '"><script>alert(1)</script>', "password": "x"})
    assert response.status_code == 401
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text and 'value="&quot;&gt;' in response.text


def test_a_post_from_another_site_or_an_oversized_form_is_refused(client: TestClient) -> None:
    response = log_in(client, Origin="https://evil.example")
    assert response.status_code == 403 and "其他网站" in response.text and "set-cookie" not in response.headers
    assert log_in(client, Origin="null").status_code == 403
    assert log_in(client, Origin="http://testserver").status_code == 303  # the page's own origin
    big = client.post(LOGIN_PATH, content=b"username=admin&password=" + b"x" * MAX_FORM_BYTES,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 400 and "过长" in big.text


def test_logout_needs_the_form_token_then_the_copied_cookie_is_dead(client: TestClient) -> None:
    """Logout deletes the session row: the same cookie, sent again by anyone, gets the login form."""
    log_in(client)
    token = client.cookies[COOKIE]
    forged = client.post(LOGOUT_PATH, data={"form_token": "0" * 64})
    assert forged.status_code == 403 and store().session_user(token) == "admin"  # a forged post ends nothing
    assert client.post(LOGOUT_PATH).status_code == 403
    confirm = client.get(LOGOUT_PATH)
    match = re.search(r'name="form_token" value="([0-9a-f]{64})"', confirm.text)
    assert confirm.status_code == 200 and "确认退出登录" in confirm.text and match
    response = client.post(LOGOUT_PATH, data={"form_token": match.group(1)})
    assert response.status_code == 303 and response.headers["location"] == "/"
    expired = response.headers["set-cookie"]
    assert expired.startswith(f'{COOKIE}=""') and "Max-Age=0" in expired and "HttpOnly" in expired
    assert store().session_user(token) == ""
    client.cookies.clear()
    client.cookies.set(COOKIE, token)  # a copy of the old cookie
    again = client.get(LOGIN_PATH)
    assert again.status_code == 200 and 'type="password"' in again.text


def test_without_a_login_file_the_pages_say_how_to_turn_it_on(auth_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KBQA_AUTH_CONFIG")
    with TestClient(Starlette(routes=routes()), follow_redirects=False) as client:
        response = client.get(LOGIN_PATH)
    assert response.status_code == 404 and "KBQA_AUTH_CONFIG" in response.text


def test_a_weak_cookie_key_is_a_configuration_error_page(auth_env: Path, config: dict[str, Any]) -> None:
    auth_env.write_text(yaml.safe_dump({**config, "cookie": {**config["cookie"], "key": "k" * 32}}), encoding="utf-8")
    with TestClient(Starlette(routes=routes()), follow_redirects=False) as client:
        response = log_in(client)
    assert response.status_code == 500 and "cookie.key" in response.text and "set-cookie" not in response.headers


def test_a_malformed_content_length_is_a_refused_form_not_a_crash(client: TestClient) -> None:
    """A Content-Length that is no number is read as no length (the body is still capped): int() of it
    raised ValueError, a 500 from the login page."""
    response = client.post(LOGIN_PATH, content=b"username=admin&password=s3cret-pass",
                           headers={"content-type": "application/x-www-form-urlencoded", "content-length": "2e2"})
    assert response.status_code == 303 and "set-cookie" in response.headers


def _sidebar_login_script() -> None:
    from app.settings import from_env
    from ui.login import login

    login(from_env())


def test_a_rerun_of_the_sidebar_login_needs_no_write_lock(auth_env: Path) -> None:
    """The login store (CREATE TABLE under a write lock) is opened once per process, not on every rerun: a
    rerun while another session holds the write lock (a login attempt, a logout) waited up to 10 s for it."""
    import sqlite3

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_sidebar_login_script, default_timeout=60).run()
    assert not at.exception and at.sidebar.text_input
    busy = sqlite3.connect(state_path(from_env()), timeout=0, isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")  # another session in the middle of a write
    try:
        at.run(timeout=8)  # under the 10 s the store's connection waits for the lock
        assert not at.exception and at.sidebar.text_input
    finally:
        busy.execute("ROLLBACK")
        busy.close()
