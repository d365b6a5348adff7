"""What the browser tests share: a real server (uvicorn in a thread, on a free port) and real
headless Chromium (Debian's package, driven by Playwright; nothing downloaded), a login as a
given user in a fresh browser context, and screenshots to ``test-artifacts/``.

Each test module builds its own store and app and wraps these context managers in its own
module-scoped fixtures, so the modules stay independent of each other."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a daemon thread; yield its base URL; stop it on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium from /usr/bin (``make chromium`` installs it)."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def login(browser: Browser, url: str, user: str, start: str = "/map") -> Page:
    """A fresh context (own cookies; Tokyo time zone, so shown times are not UTC) logged in as
    ``user``: open ``start``, follow the redirect to the login page, log in, land on ``start``."""
    page = browser.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 860}, timezone_id="Asia/Tokyo"
    ).new_page()
    page.goto(url + start)
    expect(page).to_have_url(f"{url}/login?next={quote(start, safe='')}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    expect(page.get_by_test_id("user")).to_contain_text(user)
    return page


def shot(page: Page, name: str) -> None:
    """A full-page screenshot to ``test-artifacts/NAME.png``."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
