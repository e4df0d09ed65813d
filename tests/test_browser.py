"""The real UI in headless Chromium (Debian's chromium, driven by Playwright): first start builds the index,
a question shows the figure and its source, an indicator chart, and the admin upload/delete round trip.

Screenshots go to $KBQA_SCREENSHOT_DIR (default: the test's tmp dir)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.auth import hash_password
from tests.conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.network]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ADMIN_COOKIE = "kbqa_admin"
_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if CHROMIUM is None:
        print("\n跳过浏览器测试：未找到 chromium（apt-get install chromium fonts-noto-cjk）。")
        pytest.skip("chromium is not installed")
    tmp = tmp_path_factory.mktemp("ui")
    kb = tmp / "kb"
    shutil.copytree(ROOT / "kb", kb)
    auth = tmp / "auth.yaml"
    auth.write_text(yaml.safe_dump({
        "credentials": {"usernames": {"admin": {"name": "管理员", "password": hash_password("s3cret-pass"), "roles": ["admin"]}}},
        "cookie": {"name": ADMIN_COOKIE, "key": secrets.token_urlsafe(32), "expiry_days": 1},
    }, allow_unicode=True), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KBQA_", "OPENAI_"))}
    env |= {"KBQA_INDEX_DIR": str(tmp / "index"), "KBQA_KB_DIR": str(kb), "KBQA_AUTH_CONFIG": str(auth)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "server.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=_FLAGS)
        yield b
        b.close()


def shots() -> Path:
    folder = Path(os.environ.get("KBQA_SCREENSHOT_DIR", "") or ROOT / ".pytest_cache" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def until(act: Callable[[], None], done: Callable[[], None], tries: int = 3) -> None:
    """Do `act` until `done` stops timing out (at most `tries` times). The login cookie component reports
    back after each page load and that reruns the page; a click or an Enter that lands in that rerun is
    dropped by the browser side, as a person would see a click that did nothing and click again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        act()
        try:
            done()
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def ask(page: Any, question: str) -> None:
    """Type the question and send it, until it shows in the conversation."""
    asked = page.locator("[data-testid='stChatMessage']").filter(has_text=question)
    before = asked.count()

    def send() -> None:
        box = page.get_by_placeholder("请输入问题", exact=False)
        box.fill(question)
        box.press("Enter")

    until(send, lambda: asked.nth(before).wait_for(timeout=5_000))


def to_page(page: Any, name: str) -> None:
    """Switch the sidebar's page radio, until the page shows (the chat box, or the upload form)."""
    shows = page.get_by_placeholder("请输入问题", exact=False) if name == "问答" else page.get_by_text("上传文档").first
    until(lambda: page.get_by_text(name, exact=True).first.click(), lambda: shows.wait_for(timeout=10_000))


def log_in(page: Any, user: str, password: str) -> None:
    """The sidebar's link to the login page (a plain HTML form), which answers with the cookie and the app."""
    page.get_by_role("link", name="管理员登录").click(timeout=90_000)  # the first start builds the index
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("已登录").first.wait_for(timeout=60_000)


def test_chat_shows_figure_and_source(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(server)
    page.get_by_placeholder("请输入问题", exact=False).wait_for(timeout=90_000)  # first start builds the index
    started = time.perf_counter()
    ask(page, "2025年人工智能产业规上营收是多少")
    page.get_by_text("导出为 Markdown").first.wait_for(timeout=30_000)
    print(f"\n首个回答用时 {time.perf_counter() - started:.2f} 秒（含浏览器往返）")
    body = page.inner_text("body")
    assert "143.79亿元" in body and "来源" in body
    assert "产业集群!B4" in body or "第2–4段" in body
    page.screenshot(path=str(shots() / "chat.png"), full_page=True)
    ask(page, "机器人与数控机床产业集群和绿色石化产业集群1-11月营收增速分别是多少")  # two sheet cells of one measure
    page.locator("canvas, svg.marks").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots() / "indicator_chart.png"), full_page=True)
    page.close()


def test_admin_upload_ask_delete(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(server)
    log_in(page, "admin", "s3cret-pass")
    to_page(page, "知识库管理")
    upload = tmp_path / "紫藤产业园通知.md"
    upload.write_text("# 紫藤产业园通知\n\n发布日期：2026-03-01\n\n紫藤产业园2025年规上营收为66.6亿元。\n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="上传并编入索引").click()
    page.get_by_text("已上传 1 个文件并编入索引").first.wait_for(timeout=60_000)  # stays after the rerun
    # the sidebar counts the new document only after the post-upload rerun has finished
    shipped = sum(1 for p in (ROOT / "kb").rglob("*") if p.is_file())
    page.get_by_text(f"文档 {shipped + 1} 个", exact=False).first.wait_for(timeout=30_000)
    page.screenshot(path=str(shots() / "kb_page.png"), full_page=True)
    to_page(page, "问答")
    ask(page, "紫藤产业园2025年规上营收是多少")
    page.get_by_text("66.6亿元").first.wait_for(timeout=30_000)
    to_page(page, "知识库管理")
    page.get_by_role("combobox", name="选择要删除的文档").click()
    page.get_by_role("option", name="kb/articles/紫藤产业园通知.md").click()
    page.get_by_role("button", name="删除").click()
    page.get_by_text("已删除").first.wait_for(timeout=60_000)
    to_page(page, "问答")
    until(lambda: page.get_by_role("button", name="清空对话").click(),
          lambda: page.get_by_text("66.6亿元").first.wait_for(state="detached", timeout=10_000))
    ask(page, "紫藤产业园2025年规上营收是多少")
    try:
        page.get_by_text("知识库中未找到").first.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(shots() / "after_delete.png"), full_page=True)
    page.close()


def test_login_cookie_is_httponly_and_dead_after_logout(server: str, browser: object) -> None:
    """Before (streamlit_app.py wrote the cookie from JavaScript): document.cookie showed the session token and
    the cookie had httpOnly False. Now the login page's response sets it; logout kills every copy of it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server)
    log_in(page, "admin", "s3cret-pass")
    assert ADMIN_COOKIE not in page.evaluate("document.cookie")
    cookie = next(c for c in context.cookies() if c["name"] == ADMIN_COOKIE)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.locator("[data-testid='stAppDeployButton']").count() == 0  # .streamlit/config.toml still applies
    to_page(page, "知识库管理")
    assert "20MB" in page.locator("[data-testid='stFileUploaderDropzone']").first.inner_text().replace(" ", "")
    page.screenshot(path=str(shots() / "logged_in.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="管理员登录").wait_for(timeout=30_000)
    assert not [c for c in context.cookies() if c["name"] == ADMIN_COOKIE]
    context.close()

    copied = browser.new_context()  # type: ignore[attr-defined]
    copied.add_cookies([cookie])
    page = copied.new_page()
    page.goto(server)
    page.get_by_role("link", name="管理员登录").wait_for(timeout=30_000)
    assert "已登录" not in page.inner_text("body")
    page.goto(f"{server}/kbqa/login")
    assert page.get_by_label("密码").count() == 1  # the login form, not a redirect into the app
    copied.close()


def open_source(page: Any, locator_text: str) -> Any:
    """Click 查看原文 under the citation whose header names `locator_text`; returns the dialog."""
    dialog = page.locator("[role='dialog']")
    button = page.get_by_role("button", name="查看原文")
    card = page.locator("[data-testid='stVerticalBlock']").filter(has_text=locator_text).filter(has=button).last

    def click() -> None:
        if dialog.count():
            page.keyboard.press("Escape")
            dialog.first.wait_for(state="detached", timeout=5_000)
        card.get_by_role("button", name="查看原文").click()

    until(click, lambda: dialog.filter(has_text=locator_text).first.wait_for(timeout=10_000))
    return dialog.first


def test_citation_opens_the_source_with_the_quote_and_the_cell_highlighted(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(server)
    page.get_by_placeholder("请输入问题", exact=False).wait_for(timeout=90_000)
    ask(page, "2025年人工智能产业规上营收是多少")
    page.get_by_text("导出为 Markdown").first.wait_for(timeout=30_000)
    # a passage: the quote is highlighted among the paragraphs around it
    dialog = open_source(page, "第2–3段")
    marked = dialog.locator("span[class*='ColoredBackground'], span[style*='background']").filter(has_text="143.79亿元")
    marked.first.wait_for(timeout=10_000)
    assert "同比增长45.30%" in marked.first.inner_text()
    assert len(dialog.inner_text()) > len(marked.first.inner_text()) + 40  # paragraphs around the quote too
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots() / "source_view.png"), full_page=True)
    # a sheet cell: the actual rows and columns of the file, the cell highlighted
    dialog = open_source(page, "产业集群!B4")
    cell = dialog.locator("td.kbqa-cited")
    cell.wait_for(timeout=10_000)
    assert cell.inner_text().strip() == "143.79"
    assert "人工智能产业" in dialog.locator("tr:has(td.kbqa-cited)").inner_text()
    assert "营收增速" in dialog.locator("table").inner_text()  # the header row of the sheet
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots() / "source_sheet.png"), full_page=True)
    page.close()
