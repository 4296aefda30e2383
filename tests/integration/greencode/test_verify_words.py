"""The scanner page and the verify API say what a verdict means in the page's language: the tier's name
from the policy (not its code) and, for every reason a check can fail, words a cashier understands."""

from __future__ import annotations

import html
import re
import zlib

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from moralbank.auth.domain import SYSTEM
from moralbank.greencode import codec, service
from moralbank.greencode.domain import PREFIX, Failure
from moralbank.web.api.greencode import REASONS, reason_text
from moralbank.web.app import create_app
from tests.integration.scoring.world import build_town

CJK_OR_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LANGS = ("zh-CN", "en")
NAME = "张*明"  # the masked name is the resident's own and stays as it is in both languages


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    return t


def failing_code(failure: Failure, container, resident_id: str) -> str:  # noqa: ANN001, PLR0911
    """A code the server refuses for ``failure``, made the way it happens in the field."""
    if failure is Failure.NOT_A_CODE:
        return "https://example.com/menu"
    if failure is Failure.MALFORMED:
        return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))).decode()
    with container.uow() as uow:
        issued = service.issue(uow, resident_id=resident_id, card=failure is Failure.REVOKED_CARD)
        uow.commit()
    if failure is Failure.UNKNOWN_KEY:
        stranger = Ed25519PrivateKey.generate()
        return codec.encode(issued.claims, stranger, codec.kid_of(stranger.public_key().public_bytes_raw()))
    if failure is Failure.BAD_SIGNATURE:  # the bank's key id, someone else's signature
        return codec.encode(issued.claims, Ed25519PrivateKey.generate(), bytes.fromhex(issued.kid))
    if failure is Failure.REVOKED_KEY:
        service.rotate_key(container.keys)
        service.revoke_key(container.keys, issued.kid)
    elif failure is Failure.REVOKED_CARD:
        with container.uow() as uow:
            service.revoke_card(uow, card_id=issued.claims.card_id, principal=SYSTEM, reason="lost")
            uow.commit()
    elif failure is Failure.NOT_YET_VALID:
        container.clock.advance(minutes=-10)
    elif failure is Failure.EXPIRED:
        container.clock.advance(minutes=10)
    return issued.text


def verdict_on_page(page: str) -> str:
    [p] = re.findall(r'<p class="verdict[^"]*" data-valid="[01]">(.*?)</p>', page, re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", p)).split())


def test_every_failure_has_words_in_both_languages() -> None:
    assert set(REASONS) == set(Failure)
    chinese = [reason_text(f, "zh-CN") for f in Failure]
    english = [reason_text(f, "en") for f in Failure]
    assert all(CJK_OR_FULL_WIDTH.search(t) for t in chinese)
    assert [t for t in english if CJK_OR_FULL_WIDTH.search(t)] == []
    assert len(set(chinese)) == len(set(english)) == len(Failure)


@pytest.mark.parametrize("failure", list(Failure), ids=[f.name for f in Failure])
def test_the_page_and_the_api_say_why_a_code_fails(town, container, failure) -> None:  # noqa: ANN001
    text = failing_code(failure, container, town.ids["zhang"])
    with container.uow() as uow:
        assert service.verify(uow, text=text).failure is failure
    c = TestClient(create_app(container))
    words = {}
    for lang in LANGS:
        said = verdict_on_page(c.post(f"/verify?lang={lang}", data={"text": text}).text)
        answer = c.post(f"/api/greencode/verify?lang={lang}", json={"text": text}).json()
        assert answer["reason"] == str(failure)  # the CLI's words stay in the API for programs
        assert said.endswith(answer["reason_text"]) and str(failure) not in said
        words[lang] = said
    assert words["zh-CN"].startswith("无效：")
    assert words["en"].startswith("Not valid: ") and not CJK_OR_FULL_WIDTH.search(words["en"])


def test_expired_reads_as_expired(town, container) -> None:  # noqa: ANN001
    text = failing_code(Failure.EXPIRED, container, town.ids["zhang"])
    c = TestClient(create_app(container))
    zh, en = (verdict_on_page(c.post(f"/verify?lang={lang}", data={"text": text}).text) for lang in LANGS)
    assert zh.startswith("无效：已过期") and en.startswith("Not valid: Expired")


def test_a_valid_code_shows_the_tiers_name_in_the_page_language(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        text = service.issue(uow, resident_id=town.ids["zhang"]).text
    c = TestClient(create_app(container))
    zh = verdict_on_page(c.post("/verify", data={"text": text}).text)
    en = verdict_on_page(c.post("/verify?lang=en", data={"text": text}).text)
    assert zh.startswith(f"有效：绿码 · {NAME} 有效至")
    assert en.startswith(f"Valid: Green · {NAME} valid until")
    assert not CJK_OR_FULL_WIDTH.search(en.replace(NAME, ""))
    api = c.post("/api/greencode/verify?lang=en", json={"text": text}).json()
    assert api["tier_name"] == "Green" and api["reason_text"] is None


def damaged(text: str, how: str) -> str:
    middle = len(text) // 2
    if how == "cut off":
        return text[:middle]
    return text[:middle] + ("0" if text[middle] != "0" else "1") + text[middle + 1 :]


@pytest.mark.parametrize("how", ["one character changed", "cut off"])
def test_a_damaged_real_code_reads_as_damaged_not_as_a_stranger(town, container, how) -> None:  # noqa: ANN001
    with container.uow() as uow:
        text = damaged(service.issue(uow, resident_id=town.ids["zhang"]).text, how)
    c = TestClient(create_app(container))
    assert verdict_on_page(c.post("/verify", data={"text": text}).text) == "无效：码已损坏，无法读取"
    assert verdict_on_page(c.post("/verify?lang=en", data={"text": text}).text) == (
        "Not valid: " + reason_text(Failure.MALFORMED, "en")
    )
    answer = c.post("/api/greencode/verify?lang=zh-CN", json={"text": text}).json()
    assert answer["reason"] == str(Failure.MALFORMED) and answer["reason_text"] == "码已损坏，无法读取"
