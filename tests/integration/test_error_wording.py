"""A refusal reads in Chinese on a Chinese page and stays English on an English one (web/errors_zh.py,
through ``error_text``): the form's message and the error page."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.evaluation.conftest import World, build_world, session_token

# PC01 (returning lost property) needs a photo or PDF.
DEED = {"indicator": "PC01", "deed_date": "2026-11-24", "description": "拾到钱包交还失主"}


@pytest.fixture
def resident_a(container) -> TestClient:  # noqa: ANN001
    world: World = build_world(container)
    client = TestClient(create_app(container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, session_token(container, resident_id=world.ids["A"]))
    return client


def test_a_deed_without_evidence_is_refused_in_chinese(resident_a: TestClient) -> None:
    r = resident_a.post("/evaluation/submit", data=DEED)
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert "证明材料：该指标须上传证明材料（照片或 PDF 文件）" in page
    assert "needs evidence" not in page


def test_an_english_page_keeps_the_services_english(resident_a: TestClient) -> None:
    resident_a.cookies.set("lang", "en")
    r = resident_a.post("/evaluation/submit", data=DEED)
    assert r.status_code == 422
    assert "Evidence: this indicator needs evidence (a photo or PDF)" in html.unescape(r.text)


def test_the_error_page_reads_in_chinese(resident_a: TestClient) -> None:
    r = resident_a.get("/evaluation/items/999999", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "未找到评议事项 999999" in html.unescape(r.text)
    resident_a.cookies.set("lang", "en")
    r = resident_a.get("/evaluation/items/999999", headers={"accept": "text/html"})
    assert "no evaluation item 999999" in html.unescape(r.text)
