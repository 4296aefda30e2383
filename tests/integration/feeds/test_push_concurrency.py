"""Over HTTP, at the same time: an idempotency key is claimed once, whatever arrives together."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moralbank.feeds import service as feeds
from moralbank.kernel.signatures import sign_body
from moralbank.web.api import feeds as feeds_api
from moralbank.web.app import create_app

from .conftest import City
from .test_web import _body, _secret, _token

URL = "/api/feeds/blood_donation/records"


@pytest.fixture
def slow_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import takes a moment, so the second request arrives while the first is importing."""
    real = feeds_api.import_body

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds_api, "import_body", slow)


def _together(city: City, bodies: list[bytes], key: str) -> list[tuple[int, dict]]:
    client = TestClient(create_app(city.container))
    token = _token(city, {"feeds:push:blood_donation"})
    secret = _secret(city)
    out: list[Any] = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(i: int) -> None:
        headers = {
            "authorization": f"Bearer {token}",
            "idempotency-key": key,
            "x-moralbank-signature": sign_body(secret, bodies[i]),
        }
        start.wait()
        r = client.post(URL, content=bodies[i], headers=headers)
        out[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _received(city: City) -> int:
    with city.container.uow(write=False) as uow:
        return sum(h["received"] for h in feeds.health(uow))


@pytest.mark.usefixtures("slow_import")
def test_two_bodies_at_once_under_one_key_one_goes_in_the_other_is_refused(city: City) -> None:
    a, b = _body(city, 40), _body(city, 40, start=100)
    answers = sorted(_together(city, [a, b], "race-1"), key=lambda r: r[0])
    assert [status for status, _ in answers] == [200, 409], answers
    assert answers[0][1]["accepted"] == 40 and answers[0][1]["replayed"] is False
    assert _received(city) == 40


@pytest.mark.usefixtures("slow_import")
def test_one_body_twice_at_once_goes_in_once_and_both_get_the_first_answer(city: City) -> None:
    body = _body(city, 40)
    answers = _together(city, [body, body], "race-2")
    assert [status for status, _ in answers] == [200, 200]
    first, second = sorted((a for _, a in answers), key=lambda a: a["replayed"])
    assert (first["replayed"], second["replayed"]) == (False, True)
    assert first["received"] == first["accepted"] == 40
    assert {k: v for k, v in second.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    assert _received(city) == 40


def _push(city: City, body: bytes, key: str) -> tuple[int, dict]:
    client = TestClient(create_app(city.container))
    headers = {
        "authorization": f"Bearer {_token(city, {'feeds:push:blood_donation'})}",
        "idempotency-key": key,
        "x-moralbank-signature": sign_body(_secret(city), body),
    }
    r = client.post(URL, content=body, headers=headers)
    return r.status_code, r.json()


def _claim(city: City, body: bytes, key: str) -> None:
    """A claim nobody answers: as a push whose process died while importing leaves it."""
    with city.container.uow() as uow:
        feeds.record_push(uow, interface="blood_donation", idempotency_key=key, body=body)
        uow.commit()


def test_a_claim_nobody_answers_gets_409_after_the_wait_then_lapses(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds_api, "WAIT_FOR_FIRST", 0.3)
    body = _body(city, 10)
    _claim(city, body, "dead-1")
    status, answer = _push(city, body, "dead-1")
    assert status == 409 and "still being processed" in answer["detail"]
    assert _received(city) == 0
    city.container.clock.advance(seconds=feeds.PUSH_CLAIM_EXPIRES + 1)
    status, answer = _push(city, body, "dead-1")
    assert status == 200 and answer["accepted"] == 10 and answer["replayed"] is False
    assert _push(city, body, "dead-1")[1]["replayed"] is True


def test_a_push_whose_import_fails_gives_its_key_back(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    real = feeds_api.import_body

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(feeds_api, "WAIT_FOR_FIRST", 0.3)
    monkeypatch.setattr(feeds_api, "import_body", broken)
    body = _body(city, 10)
    with pytest.raises(RuntimeError, match="disk is full"):
        _push(city, body, "retry-1")
    monkeypatch.setattr(feeds_api, "import_body", real)
    status, answer = _push(city, body, "retry-1")  # at once, not after the claim lapses
    assert status == 200 and answer["accepted"] == 10 and answer["replayed"] is False
