"""The admin login as plain HTTP pages beside the Streamlit app, so the session cookie is HttpOnly.

A Streamlit script can only reach the browser's cookies through JavaScript, and a cookie set by JavaScript can
be read by every script on the page. Here the cookie is set by a real HTTP response instead:

    GET  /kbqa/login    a plain HTML form (Chinese, no scripts, no external assets)
    POST /kbqa/login    AuthStore.attempt (same delay and lockout as everywhere), then
                        Set-Cookie: <cookie.name>=<token>; HttpOnly; SameSite=Strict; Path=/ (+ Secure over https)
                        and 303 to the app
    GET  /kbqa/logout   a confirmation form for browsers that arrive by link
    POST /kbqa/logout   needs the cookie (never sent cross-site: SameSite=Strict) and a form token derived from
                        it (AuthStore.form_token); deletes the session row and expires the cookie

server.py mounts these routes on st.App; the script (ui login) reads the cookie from st.context.cookies and
checks it against the session table on every run. Settings and the login file are read per request, so a new
cookie.key or password takes effect without a restart, as it does in the script.
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.auth import AuthStore, load_auth_config, state_path
from app.errors import KBQAError
from app.http_body import read_capped
from app.settings import Settings, from_env

LOGIN_PATH = "/kbqa/login"
LOGOUT_PATH = "/kbqa/logout"
APP_PATH = "/"
MAX_FORM_BYTES = 8192  # a user name, a password and a token; anything longer is refused unread
# no scripts, no remote anything; forms post only here; never framed (clickjacking on the password form)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would make Chromium send "Origin: null" with the form
    "X-Content-Type-Options": "nosniff",
}
_served = False  # set when server.py mounts the routes; the script then links here instead of its own form
log = logging.getLogger(__name__)

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - 经信知识助手</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: #f5f6f8; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: .5rem;
        box-shadow: 0 1px 4px rgba(0,0,0,.1); }}
h1 {{ font-size: 1.3rem; margin: 0 0 1.2rem; }}
label {{ display: block; margin: .8rem 0 .3rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }}
.error {{ color: #b00020; background: #fdecee; padding: .6rem; border-radius: .3rem; }}
a {{ display: inline-block; margin-top: 1rem; }}
</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>
"""


def routes() -> list[BaseRoute]:
    """The login and logout routes for st.App; mounting them tells the script to link here."""
    global _served
    _served = True
    return [Route(LOGIN_PATH, login, methods=["GET", "POST"]), Route(LOGOUT_PATH, logout, methods=["GET", "POST"])]


def served() -> bool:
    """Whether this process serves the login pages (started through server.py), read by the script."""
    return _served


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """Every argument is already escaped HTML: callers build it with esc()."""
    return HTMLResponse(_PAGE.format(title=esc(title), body=body), status_code=status, headers=_HEADERS)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def login_form(message: str = "", name: str = "") -> str:
    error = f'<p class="error" role="alert">{esc(message)}</p>' if message else ""
    return (f'{error}<form method="post" action="{LOGIN_PATH}">'
            f'<label for="u">用户名</label><input id="u" name="username" value="{esc(name)}" maxlength="64" '
            'autocomplete="username" required autofocus>'
            '<label for="p">密码</label><input id="p" name="password" type="password" maxlength="256" '
            'autocomplete="current-password" required>'
            f'<button type="submit">登录</button></form><a href="{APP_PATH}">返回问答</a>')


def logout_form(form_token: str) -> str:
    return (f'<form method="post" action="{LOGOUT_PATH}"><input type="hidden" name="form_token" value="{esc(form_token)}">'
            f'<p>确认退出登录？退出后本浏览器中的登录凭据立即失效。</p><button type="submit">退出登录</button></form>'
            f'<a href="{APP_PATH}">返回问答</a>')


_SIDEBAR_BUTTON = ("padding:.35rem .8rem;border:1px solid rgba(49,51,63,.2);border-radius:.5rem;background:#fff;"
                   "color:inherit;font:inherit;cursor:pointer;text-decoration:none;display:inline-block")


def login_link() -> str:
    """For st.html in the sidebar: a plain link, so the login page opens in this tab (Markdown links open a new one)."""
    return f'<a href="{LOGIN_PATH}" style="{_SIDEBAR_BUTTON}">管理员登录</a>'


def logout_button(form_token: str) -> str:
    """For st.html in the sidebar: a one-click POST to the logout page carrying this session's form token."""
    return (f'<form method="post" action="{LOGOUT_PATH}" style="margin:0">'
            f'<input type="hidden" name="form_token" value="{esc(form_token)}">'
            f'<button type="submit" style="{_SIDEBAR_BUTTON}">退出登录</button></form>')


_STORES: dict[tuple[Path, Settings], AuthStore] = {}
_STORES_LOCK = threading.Lock()
_STORES_KEPT = 8  # settings seldom change in a process; tests make a few per run


def open_store(settings: Settings, config: dict[str, Any]) -> AuthStore:
    """The login store for these settings and login file, opened once per process: opening runs CREATE TABLE
    under the state file's write lock, and the script calls this on every rerun. A changed login file (new
    password, new cookie.key) is a different config and opens a new store, so it still takes effect at once."""
    key = (state_path(settings), settings)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None or store.config != config:
            if len(_STORES) >= _STORES_KEPT:
                _STORES.clear()
            store = _STORES[key] = AuthStore(key[0], config, settings)
    return store


def load_store() -> AuthStore | None:
    """The store for the current settings, or None when no login file is configured (KBQA_AUTH_CONFIG)."""
    settings: Settings = from_env()
    if not settings.auth_config:
        return None
    return open_store(settings, load_auth_config(settings.auth_config))


def cookie_name(store: AuthStore) -> str:
    return str(store.config["cookie"]["name"])


def same_origin(request: Request) -> bool:
    """A browser names the site a form was posted from; a post from another site is refused (login CSRF).
    No Origin at all (an old browser, curl) passes: the logout also needs the form token."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()  # 'null' never matches


async def read_form(request: Request) -> dict[str, str] | None:
    """The url-encoded fields, or None for a body that is too long or not UTF-8 (refused, never parsed)."""
    body = await read_capped(request, MAX_FORM_BYTES)
    if body is None:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in fields.items()}


def config_error(exc: KBQAError) -> HTMLResponse:
    log.warning("login page: %s", exc)
    return page("登录不可用", f'<p class="error">配置错误：{esc(exc)}</p>', status=500)


def not_configured() -> HTMLResponse:
    return page("未配置登录", "<p>管理员登录未开启：设置 KBQA_AUTH_CONFIG 指向登录配置文件（见 README）后重启。</p>"
                f'<a href="{APP_PATH}">返回问答</a>', status=404)


async def _store() -> AuthStore | Response:
    """The login store, or the page that says why there is none (not configured, or a bad config)."""
    try:
        store = await run_in_threadpool(load_store)
    except KBQAError as exc:
        return config_error(exc)
    return not_configured() if store is None else store


async def login(request: Request) -> Response:
    """GET: the form (or straight to the app with a live session). POST: one attempt, counted like any other."""
    store = await _store()
    if isinstance(store, Response):
        return store
    token = request.cookies.get(cookie_name(store), "")
    if request.method == "GET":
        if token and await run_in_threadpool(store.session_user, token):
            return RedirectResponse(APP_PATH, status_code=303)
        return page("管理员登录", login_form())
    if not same_origin(request):
        return page("管理员登录", login_form("登录请求来自其他网站，已拒绝：请在本页面输入用户名和密码。"), status=403)
    fields = await read_form(request)
    if fields is None:
        return page("管理员登录", login_form("登录表单过长或不是 UTF-8 编码，已拒绝：请在本页面重新输入。"), status=400)
    name = fields.get("username", "")
    result = await run_in_threadpool(store.attempt, name, fields.get("password", ""))
    if not result.token:
        return page("管理员登录", login_form(result.message, name), status=401)
    response = RedirectResponse(APP_PATH, status_code=303)
    response.set_cookie(cookie_name(store), result.token, max_age=int(store.session_s), path="/",
                        secure=request.url.scheme == "https", httponly=True, samesite="strict")
    response.headers["Cache-Control"] = "no-store"
    return response


async def logout(request: Request) -> Response:
    """GET: a confirmation form. POST: end the session on the server and expire the cookie in this browser."""
    store = await _store()
    if isinstance(store, Response):
        return store
    name = cookie_name(store)
    token = request.cookies.get(name, "")
    live = bool(token) and bool(await run_in_threadpool(store.session_user, token))
    if request.method == "GET":
        if not live:
            return RedirectResponse(APP_PATH, status_code=303)
        return page("退出登录", logout_form(store.form_token(token)))
    fields = await read_form(request)
    if token and not (same_origin(request) and fields is not None and store.form_token_ok(token, fields.get("form_token", ""))):
        return page("退出登录", '<p class="error">退出请求无效（缺少或不匹配的表单凭据）：请从页面上的“退出登录”按钮操作。</p>'
                    + (logout_form(store.form_token(token)) if live else ""), status=403)
    if token:
        await run_in_threadpool(store.logout, token)
    response = RedirectResponse(APP_PATH, status_code=303)
    response.delete_cookie(name, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict")
    return response
