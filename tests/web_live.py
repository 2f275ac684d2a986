"""A real uvicorn server and Debian chromium (Playwright) for the browser tests of the web app.

Import the fixtures into a test module: ``from tests.web_live import browser, live, shot  # noqa: F401``.
``live`` (module scope) is a server on 127.0.0.1 and a free port over a fresh SQLite database with the small
org and the diagrams; it is stopped when the module ends. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import make_runtime
from tests.plugins.system_parts import free_port, need
from workflows.api.app import create_app
from workflows.services.runtime import Runtime
from workflows.settings import ROOT_DIR

SHOTS = ROOT_DIR / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@dataclass
class Live:
    url: str
    rt: Runtime


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not (ROOT_DIR / "node_modules" / "bpmn-js" / "dist").is_dir():
        need("node_modules", "front-end packages not installed: run `npm ci` (test.sh does)")
    tmp = tmp_path_factory.mktemp("web")
    rt = make_runtime(f"sqlite:///{tmp / 'groupgov.sqlite3'}", tmp)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", rt)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        rt.db.dispose()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def phone(browser: Any) -> Any:
    """A new phone-sized browser context (its own cookies); close it when done."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(10_000)
    return context


def login(context: Any, live: Live, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live.url}/")
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def csrf_of(page: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.content()).group(1)
