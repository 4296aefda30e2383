"""The README's first command, `moralbank demo`, as a user runs it: a real process builds the demo city on
the embedded SQLite default and serves it; a browser-less client then uses it as a resident would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

BANNER = "演示数据：均为虚构人物"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    work = tmp_path_factory.mktemp("demo")
    port = _free_port()
    log = work / "demo.log"
    env = {**os.environ, "MORALBANK_DATA_DIR": str(work / "data"), "COLUMNS": "200"}
    env.pop("MORALBANK_DATABASE_URL", None)  # the embedded default
    exe = Path(sys.executable).parent / "moralbank"
    with log.open("w") as out:
        proc = subprocess.Popen([str(exe), "demo", "--port", str(port)], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo did not come up:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield Demo(url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def _resident(demo: Demo) -> Iterator[httpx.Client]:
    """A signed-in resident's client (closed after: an open socket would warn in a later test)."""
    phone = re.search(r"phone (1\d{10})", demo.output()).group(1)
    with httpx.Client(base_url=demo.url, follow_redirects=True, timeout=30) as client:
        assert client.post("/login/resident/code", data={"phone": phone}).status_code == 200
        code = re.findall(rf"SMS to {phone}: .*?(\d{{6}})", demo.output())[-1]
        page = client.post("/login/resident", data={"phone": phone, "code": code})
        assert page.status_code == 200 and str(page.url).endswith("/me"), page.url
        yield client


@pytest.mark.slow
def test_the_demo_serves_a_marked_synthetic_city(demo: Demo) -> None:
    home = httpx.get(demo.url, timeout=30)
    assert home.status_code == 200 and BANNER in home.text
    assert "ledger:" in demo.output() and "residents enrolled" in demo.output()


@pytest.mark.slow
def test_a_demo_resident_reaches_every_page_of_theirs_from_the_menu(demo: Demo) -> None:
    with _resident(demo) as client:
        me = client.get("/me").text
        header = me.split("</header>")[0]
        menu = dict(re.findall(r'<a href="(/(?:me|evaluation)[^"?]*)"[^>]*>([^<]+)</a>', header))
        assert menu == {
            "/me/portrait": "道德画像",
            "/me/greencode": "我的绿码",
            "/me/ledger": "积分账本",
            "/evaluation/submit": "提交善行",
            "/evaluation/me": "我的评议",
            "/evaluation/confirm": "邻里互评",
            "/evaluation/inbox": "消息",
            "/me": "我的信息",
            "/me/data-interfaces": "数据授权",
            "/me/access-log": "查阅记录",
        }
        for path in menu:
            page = client.get(path)
            assert page.status_code == 200, path
            assert BANNER in page.text and 'aria-current="page"' in page.text, path
        # the demo city was set up before its history began: nobody joined after their first ledger entry
        joined = date.fromisoformat(re.search(r"加入时间</th><td>(\d{4}-\d{2}-\d{2})", me).group(1))
        assert joined <= date.today() - timedelta(days=540)
        assert "查阅记录" in client.get("/me/access-log").text


STAFF = {  # demo user → links its menu must hold (a subset; all of them must open)
    "admin": {"/orgs", "/residents", "/evaluation/review", "/staff/feeds", "/audit/access-log"},
    "township": {"/orgs", "/residents", "/evaluation/review", "/evaluation/overdue"},
    "village": {"/residents", "/evaluation/review", "/evaluation/deduction"},
    "grid": {"/residents", "/evaluation/confirm", "/evaluation/submit", "/evaluation/deduction"},
    "auditor": {"/audit/access-log", "/evaluation/overdue"},
    "bank": {"/verify"},
    "provider": {"/verify"},
}


@pytest.mark.slow
@pytest.mark.parametrize("user", sorted(STAFF))
def test_every_staff_role_has_one_menu_on_every_page_and_every_link_opens(demo: Demo, user: str) -> None:
    with httpx.Client(base_url=demo.url, follow_redirects=True, timeout=30) as client:
        start = client.post("/login", data={"username": user, "password": "moralbank-demo"})
        assert start.status_code == 200, start.text[:500]
        header = start.text.split("</header>")[0]
        menu = re.findall(r'<a href="(/[^"?]*)"(?: aria-current="page")?>([^<]+)</a>', header)
        paths = [p for p, _ in menu]
        assert STAFF[user] <= set(paths), paths
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (user, path)
            assert page.text.split("</header>")[0].count('<a href="') >= len(paths), (user, path)  # same menu
        if user == "bank":
            assert "/residents" not in paths and "/orgs" not in paths
