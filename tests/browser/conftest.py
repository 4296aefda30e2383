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


def enrolled_resident(c: Container) -> tuple[str, str]:
    """王小明, enrolled in a grid of a small city, and a session token of his: (resident id, token)."""
    from datetime import date

    from moralbank.auth import service as auth
    from moralbank.auth.domain import SYSTEM
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents
    from moralbank.residents.idnumber import make

    with c.uow() as uow:
        for code, name, level, parent in [
            ("330281", "余姚市", "city", None),
            ("330281001", "梨洲街道", "township", "330281"),
            ("330281001001", "东门社区", "village", "330281001"),
            ("330281001001-G01", "东门社区第1网格", "grid", "330281001001"),
        ]:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="王小明",
            grid="330281001001-G01",
            consent_text_version="v1",
            id_number=make("330281", date(1980, 2, 3), 21),
        )
        token = auth.resident_session(uow, resident_id=rid).token
        uow.commit()
    return rid, token
