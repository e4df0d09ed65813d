"""Admin login: a YAML file of bcrypt-hashed passwords, and a server-side table of failures and sessions.

    credentials:
      usernames:
        admin: {name: 管理员, password: "$2b$12$...", roles: [admin]}
    cookie: {name: kbqa_auth, key: <python -c "import secrets; print(secrets.token_urlsafe(32))">, expiry_days: 1}

Hash a password with: .venv/bin/python -m app hash-password

Why a table on the server: a signed cookie (a JWT) stays valid until it expires, whatever logout does. Here
the cookie holds a random token and the server keeps only an HMAC of it (keyed with cookie.key): logout deletes
the row, so a copied cookie is dead afterwards, and rotating cookie.key ends every session at once. The cookie
is set by the login page's HTTP response (app/login_page.py), so it is HttpOnly and SameSite=Strict. Failures are counted
per user name in the same SQLite file, so every browser session of one server (and every server process on
the same file) sees the same count: each failure makes the next attempt wait longer, and N failures lock
the name for M minutes (Settings.login_*).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.errors import ConfigError
from app.settings import Settings

MIN_KEY_CHARS = 32
# Shannon bits of the key's own character counts: secrets.token_urlsafe(32) gives ~190, token_hex(16) ~115,
# 'k' * 32 gives 0 and 'ab' * 16 gives 32. A guard against placeholders and repeats, not a proof of randomness.
MIN_KEY_BITS = 96.0
MAX_DELAY_S = 60.0  # the wait between attempts never grows past a minute; the lockout takes over
MAX_NAME_CHARS = 64  # a typed user name longer than any configured one is cut before it is counted
KEY_HOWTO = '用 .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" 生成一个并填入 cookie.key'


def load_auth_config(path: Path) -> dict[str, Any]:
    """Read and check the file; plain-text passwords and weak cookie keys are refused, not silently used."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取登录配置 {path}：{exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"登录配置 {path} 应为一个映射（credentials、cookie 两段），见 README。")
    credentials = config.get("credentials")
    users = (credentials.get("usernames") if isinstance(credentials, dict) else None) or {}
    if not isinstance(users, dict) or not users:
        raise ConfigError(f"登录配置 {path} 中没有任何用户（credentials.usernames）。")
    for name, user in users.items():
        if not isinstance(user, dict) or not str(user.get("password", "")).startswith(("$2b$", "$2a$", "$2y$")):
            raise ConfigError(f"登录配置中用户 {name} 的密码不是 bcrypt 哈希：请用 python -m app hash-password 生成后替换。")
    cookie = config.get("cookie")
    if not isinstance(cookie, dict):
        raise ConfigError(f"登录配置 {path} 缺少 cookie 段（name、key、expiry_days），见 README。")
    check_cookie_key(str(cookie.get("key") or ""))
    try:
        days = float(cookie.get("expiry_days", 1))
    except (TypeError, ValueError):
        days = -1.0
    if not 0 < days <= 30:
        raise ConfigError(f"登录配置的 cookie.expiry_days={cookie.get('expiry_days')!r} 应在 0 到 30 天之间，例如 1。")
    if not str(cookie.get("name") or "").isidentifier():
        raise ConfigError("登录配置的 cookie.name 应为字母、数字和下划线组成的名字，例如 kbqa_auth。")
    return dict(config)


def key_bits(key: str) -> float:
    """Shannon bits of the key judged by its own character frequencies (length × entropy per character)."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values()) if key else 0.0


def check_cookie_key(key: str) -> None:
    """Refuse a missing, short or repetitive key: it signs every session, so a guessable one is a master key."""
    if not key:
        raise ConfigError(f"登录配置缺少 cookie.key：{KEY_HOWTO}。")
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(f"登录配置的 cookie.key 只有 {len(key)} 个字符，至少需要 {MIN_KEY_CHARS} 个随机字符：{KEY_HOWTO}。")
    if key_bits(key) < MIN_KEY_BITS:
        raise ConfigError(f"登录配置的 cookie.key 重复字符太多，不像随机生成的（估计 {key_bits(key):.0f} 位，"
                          f"至少需要 {MIN_KEY_BITS:.0f} 位）：{KEY_HOWTO}。")


def is_admin(config: dict[str, Any], username: str | None) -> bool:
    if not username:
        return False
    user = config["credentials"]["usernames"].get(username) or {}
    return "admin" in (user.get("roles") or [])


def hash_password(password: str) -> str:
    import bcrypt

    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def _password_ok(config: dict[str, Any], username: str, password: str) -> bool:
    """bcrypt check; an unknown user costs the same bcrypt round, so timing does not tell names apart."""
    import bcrypt

    user = config["credentials"]["usernames"].get(username)
    hashed = str(user["password"]) if user else "$2b$12$" + "." * 53
    try:
        ok = bcrypt.checkpw(password.encode("utf-8", "replace"), hashed.encode("ascii"))
    except ValueError:
        return False
    return bool(ok and user)


def _minutes(seconds: float) -> str:
    minutes, seconds = divmod(max(1, math.ceil(seconds)), 60)
    if not minutes:
        return f"{seconds} 秒"
    return f"{minutes} 分钟" if not seconds else f"{minutes} 分 {seconds} 秒"


@dataclass(frozen=True)
class Login:
    """The outcome of one attempt: the user and a fresh session token, or a Chinese reason."""

    username: str = ""
    token: str = ""
    message: str = ""


class AuthStore:
    """Failure counts and live sessions in one SQLite file, shared by every session of the server."""

    def __init__(self, path: Path, config: dict[str, Any], settings: Settings) -> None:
        self.path = path
        self.config = config
        self.settings = settings
        self._key = str(config["cookie"]["key"]).encode("utf-8")
        self.session_s = float(config["cookie"].get("expiry_days", 1)) * 86400
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS failures (name TEXT PRIMARY KEY, count INTEGER, last REAL)")
            db.execute("CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY, name TEXT, expires REAL)")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One write-locked transaction on a short-lived connection (Streamlit runs each session's script in
        its own thread): a read and the write that depends on it cannot interleave with another session's."""
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as exc:
            raise ConfigError(f"无法打开登录状态文件 {self.path}：{exc}。请检查该目录是否可写。") from None
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.rollback()
            raise ConfigError(f"登录状态文件 {self.path} 读写失败：{exc}。") from None
        finally:
            db.close()

    def _digest(self, token: str) -> str:
        return hmac.new(self._key, token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def wait_s(self, name: str, now: float | None = None) -> tuple[float, bool]:
        """(seconds before `name` may try again, whether that is a lockout)."""
        now = time.time() if now is None else now
        with self._db() as db:
            return self._wait(db, name[:MAX_NAME_CHARS], now)

    def _wait(self, db: sqlite3.Connection, name: str, now: float) -> tuple[float, bool]:
        row = db.execute("SELECT count, last FROM failures WHERE name = ?", (name,)).fetchone()
        if not row:
            return 0.0, False
        count, last = int(row[0]), float(row[1])
        if count >= self.settings.login_max_failures:
            return max(0.0, last + self.settings.login_lockout_minutes * 60 - now), True
        delay = min(self.settings.login_delay_s * 2 ** (count - 1), MAX_DELAY_S)
        return max(0.0, last + delay - now), False

    def attempt(self, username: str, password: str, now: float | None = None) -> Login:
        """Check one login. While a name waits or is locked the password is not even checked."""
        now = time.time() if now is None else now
        name = username.strip()[:MAX_NAME_CHARS]
        if not name or not password:
            return Login(message="请输入用户名和密码。")
        limit = self.settings.login_max_failures
        with self._db() as db:
            wait, locked = self._wait(db, name, now)
            if wait <= 0:
                # every attempt counts as a failure until the password proves right, so attempts sent in
                # parallel from several sessions wait like attempts sent one after another
                row = db.execute("SELECT count FROM failures WHERE name = ?", (name,)).fetchone()
                count = 1 if not row or int(row[0]) >= limit else int(row[0]) + 1
                db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)", (name, count, now))
                # rows quiet for a lockout period are forgotten: made-up names must not grow the table forever
                db.execute("DELETE FROM failures WHERE last < ?", (now - self.settings.login_lockout_minutes * 60 - MAX_DELAY_S,))
        if locked and wait > 0:
            return Login(message=f"用户 {name} 连续 {limit} 次密码错误，已锁定：请 {_minutes(wait)}后再试，或请管理员核对账户。")
        if wait > 0:
            return Login(message=f"密码错误次数过多，请 {_minutes(wait)}后再试。")
        if not _password_ok(self.config, name, password):
            left = limit - count
            if left <= 0:
                return Login(message=f"用户名或密码错误。已连续 {count} 次，账户锁定 {_minutes(self.settings.login_lockout_minutes * 60)}。")
            return Login(message=f"用户名或密码错误（再错 {left} 次将锁定 {_minutes(self.settings.login_lockout_minutes * 60)}）。")
        token = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE name = ?", (name,))
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (self._digest(token), name, now + self.session_s))
        return Login(username=name, token=token)

    def session_user(self, token: object, now: float | None = None) -> str:
        """The user a cookie's token belongs to, or '' for a token that is unknown, expired or logged out."""
        if not isinstance(token, str) or not token:  # whatever a browser (or a test harness) sent
            return ""
        now = time.time() if now is None else now
        with self._db() as db:
            row = db.execute("SELECT name, expires FROM sessions WHERE digest = ?", (self._digest(token),)).fetchone()
        if not row or float(row[1]) <= now or row[0] not in self.config["credentials"]["usernames"]:
            return ""
        return str(row[0])

    def form_token(self, token: str) -> str:
        """The anti-forgery value a logout form carries: derived from the session token, so only a page
        that was served to that session knows it (the cookie itself is HttpOnly and SameSite=Strict)."""
        return hmac.new(self._key, b"logout\0" + token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def form_token_ok(self, token: str, sent: str) -> bool:
        return bool(token) and hmac.compare_digest(self.form_token(token), sent.encode("ascii", "replace").decode())

    def logout(self, token: str) -> None:
        """End the session on the server: the token stops working in every browser that holds it."""
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE digest = ?", (self._digest(token),))


def state_path(settings: Settings) -> Path:
    """Beside the index, not in it: a rebuild wipes the index folder, and must not end sessions."""
    return settings.index_dir.parent / f"{settings.index_dir.name}-auth.sqlite3"
