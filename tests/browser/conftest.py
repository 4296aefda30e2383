"""Browser tests: the real app served by uvicorn on a free loopback port, driven in Debian's chromium
through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from moralbank.bootstrap import Container
from moralbank.web.app import create_app

CHROMIUM = os.environ.get("MORALBANK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(container: Container) -> Iterator[str]:
    """Serve ``container``'s app; yields the base URL."""
    port = _free_port()
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    if not os.path.exists(CHROMIUM):
        if os.environ.get("MORALBANK_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and MORALBANK_TEST_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()
