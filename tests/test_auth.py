"""Admin login: growing delay and lockout per user name, sessions that die at logout, strong cookie keys.

Real bcrypt, a real SQLite state file in tmp_path, the real Streamlit script through AppTest. Times are pinned
by passing `now`, so no test sleeps.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from app import login_page
from app.auth import AuthStore, check_cookie_key, hash_password, load_auth_config, state_path
from app.errors import ConfigError
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
T0 = 1_780_000_000.0  # 2026-05-28, pinned


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return {
        "credentials": {"usernames": {
            "admin": {"name": "管理员", "password": hash_password("s3cret-pass"), "roles": ["admin"]},
            "staff": {"name": "职员", "password": hash_password("staff-pass"), "roles": []},
        }},
        "cookie": {"name": "kbqa_test", "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }


@pytest.fixture
def store(config: dict[str, Any], settings: Settings) -> AuthStore:
    return AuthStore(state_path(settings), config, settings)


def test_twenty_wrong_passwords_lock_the_user_out(store: AuthStore) -> None:
    """Before: 20 wrong passwords, then the right one logged in. Now the 5th failure locks for 15 minutes."""
    now = T0
    messages = []
    for i in range(20):
        messages.append(store.attempt("admin", "wrong-pass", now).message)
        now += 61 if i < 5 else 1  # the first five wait out each delay, so their passwords are checked
    assert "再错 4 次将锁定" in messages[0] and "锁定 15 分钟" in messages[4]
    assert all("已锁定" in m for m in messages[5:])  # while locked, the password is not even checked
    locked = store.attempt("admin", "s3cret-pass", now)
    assert not locked.token and "已锁定" in locked.message and "后再试" in locked.message
    # after the lockout, the right password works and clears the count
    wait, is_lock = store.wait_s("admin", now)
    assert is_lock and 0 < wait <= 15 * 60
    ok = store.attempt("admin", "s3cret-pass", now + wait + 1)
    assert ok.username == "admin" and ok.token
    assert store.wait_s("admin", now + wait + 2) == (0.0, False)


def test_each_failure_doubles_the_wait(store: AuthStore) -> None:
    store.attempt("staff", "wrong", T0)
    assert store.wait_s("staff", T0) == (1.0, False)
    early = store.attempt("staff", "staff-pass", T0 + 0.5)  # the right password, but too soon
    assert not early.token and "请 1 秒后再试" in early.message
    store.attempt("staff", "wrong", T0 + 1)
    store.attempt("staff", "wrong", T0 + 3)
    assert store.wait_s("staff", T0 + 3) == (4.0, False)
    assert store.attempt("staff", "staff-pass", T0 + 7).username == "staff"


def test_failures_are_shared_by_every_session_of_the_server(config: dict[str, Any], settings: Settings) -> None:
    """Two browser sessions open their own AuthStore on the same file: the count is one count."""
    first, second = (AuthStore(state_path(settings), config, settings) for _ in range(2))
    for i in range(3):
        first.attempt("admin", "wrong", T0 + i * 10)
    for i in range(2):
        second.attempt("admin", "wrong", T0 + 30 + i * 20)
    assert first.wait_s("admin", T0 + 60)[1]  # locked after 3 + 2


def test_unknown_names_are_counted_and_answered_like_known_ones(store: AuthStore) -> None:
    known = store.attempt("admin", "wrong", T0).message
    unknown = store.attempt("nobody", "wrong", T0).message
    assert known == unknown
    assert store.wait_s("nobody", T0) == (1.0, False)


def test_a_session_token_dies_at_logout_and_at_expiry(store: AuthStore) -> None:
    login = store.attempt("admin", "s3cret-pass", T0)
    assert store.session_user(login.token, T0 + 60) == "admin"
    copied = login.token  # what a copied cookie carries
    store.logout(login.token)
    assert store.session_user(copied, T0 + 61) == ""
    again = store.attempt("admin", "s3cret-pass", T0 + 100)
    assert store.session_user(again.token, T0 + 100 + 86400 + 1) == ""  # expiry_days: 1
    assert store.session_user("forged-token", T0) == ""


def test_the_state_file_holds_no_usable_token(store: AuthStore) -> None:
    login = store.attempt("admin", "s3cret-pass", T0)
    assert login.token.encode() not in store.path.read_bytes()


def test_a_new_cookie_key_ends_every_session(config: dict[str, Any], settings: Settings) -> None:
    login = AuthStore(state_path(settings), config, settings).attempt("admin", "s3cret-pass", T0)
    rotated = {**config, "cookie": {**config["cookie"], "key": secrets.token_urlsafe(32)}}
    assert AuthStore(state_path(settings), rotated, settings).session_user(login.token, T0) == ""


@pytest.mark.parametrize(("key", "reason"), [
    ("", "缺少 cookie.key"),
    ("至少16个字符的随机字符串", "只有 13 个字符"),
    ("a" * 16, "只有 16 个字符"),
    ("k" * 32, "重复字符太多"),
    ("ab" * 32, "重复字符太多"),
])
def test_weak_cookie_keys_are_refused_with_how_to_make_one(key: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as exc:
        check_cookie_key(key)
    assert "secrets.token_urlsafe(32)" in str(exc.value)


def test_generated_keys_pass() -> None:
    for _ in range(20):
        check_cookie_key(secrets.token_urlsafe(32))
        check_cookie_key(secrets.token_hex(16))


def test_a_config_with_a_weak_key_is_refused(config: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump({**config, "cookie": {**config["cookie"], "key": "a" * 40}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cookie\.key"):
        load_auth_config(path)


# ---------------------------------------------------------------- the UI, through AppTest


@pytest.fixture
def ui(tiny_kb: Path, settings: Settings, config: dict[str, Any], tmp_path: Path,
       monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    run_ingest([tiny_kb], settings)
    for key in ("KBQA_LLM_MODEL", "OPENAI_API_KEY", "KBQA_CHAT_REQUIRES_LOGIN"):
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KBQA_AUTH_CONFIG", str(path))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("KBQA_KB_DIR", str(tiny_kb))
    monkeypatch.setenv("KBQA_LOGIN_DELAY_S", "0")  # the UI uses the clock; the wait itself is tested above
    yield settings


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.sidebar.text_input(key="login_name").set_value(name)
    at.sidebar.text_input(key="login_password").set_value(password)
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    assert not at.exception, at.exception
    return at


def test_ui_login_lockout_then_logout_kills_the_token(ui: Settings, config: dict[str, Any]) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(5):
        submit(at, "staff", "wrong")
    assert any("锁定" in e.value for e in at.sidebar.error)
    submit(at, "staff", "staff-pass")
    assert any("已锁定" in e.value for e in at.sidebar.error) and not at.session_state["auth_token"]

    submit(at, "admin", "s3cret-pass")
    assert any("已登录：管理员" in c.value for c in at.sidebar.caption)
    token = at.session_state["auth_token"]
    store = AuthStore(state_path(ui), config, ui)
    assert store.session_user(token) == "admin"
    next(b for b in at.sidebar.button if b.label == "退出登录").click().run()
    assert not at.exception and not any("已登录" in c.value for c in at.sidebar.caption)
    assert store.session_user(token) == ""  # a browser that kept the cookie is logged out too


def test_ui_never_puts_the_session_token_into_the_page(ui: Settings) -> None:
    """Before: the token went into a <script> that wrote document.cookie, readable by every script on the page.
    Without the login pages (a bare script, AppTest) the form logs in this tab only and writes no cookie."""
    at = submit(AppTest.from_file(APP, default_timeout=60).run(), "admin", "s3cret-pass")
    token = at.session_state["auth_token"]
    assert token and any("已登录" in c.value for c in at.sidebar.caption)
    assert not [e for e in at.get("html") if token in e.proto.body]


def test_ui_served_with_the_login_pages_links_to_them(ui: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started through server.py the sidebar has no password field: a same-tab link to /kbqa/login instead."""
    monkeypatch.setattr(login_page, "_served", False)  # restored afterwards: routes() marks the process
    login_page.routes()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.sidebar.text_input
    assert any(f'href="{login_page.LOGIN_PATH}"' in e.proto.body for e in at.get("html"))


def test_ui_refuses_a_weak_cookie_key_with_a_message(ui: Settings, config: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "auth.yaml").write_text(yaml.safe_dump({**config, "cookie": {**config["cookie"], "key": "k" * 32}}),
                                        encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("cookie.key" in (shown := e.value.replace("\\", "")) and "token_urlsafe" in shown for e in at.error)  # shown escaped


def test_logged_out_users_get_no_document_list_when_chat_needs_login(ui: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBQA_CHAT_REQUIRES_LOGIN", "true")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.dataframe and not at.chat_input
    assert not [u for u in at.get("file_uploader")]


def test_failures_of_made_up_names_are_forgotten_after_a_lockout_period(store: AuthStore, settings: Settings) -> None:
    """Anyone can post logins with new names; each adds a row, and rows quiet for a lockout period go."""
    import sqlite3

    for i in range(5):
        store.attempt(f"无此用户{i}", "错误密码", T0)
    store.attempt("又一个", "错误密码", T0 + settings.login_lockout_minutes * 60 + 3600)
    with sqlite3.connect(state_path(settings)) as db:
        assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 1
