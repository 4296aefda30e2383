"""Over HTTP: what the push endpoint refuses before anything is recorded (signature, body, size), and
the problems of the quarantined rows in its answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from moralbank.feeds import service as feeds
from moralbank.kernel.signatures import sign_body
from moralbank.web.api import feeds as feeds_api
from moralbank.web.app import create_app

from .conftest import City
from .test_web import _body, _secret, _token

URL = "/api/feeds/blood_donation/records"


def _post(client: TestClient, city: City, body: bytes, key: str, **headers: bytes) -> tuple[int, dict]:
    token = _token(city, {"feeds:push:blood_donation"})
    h = {
        "authorization": f"Bearer {token}",
        "idempotency-key": key,
        "x-moralbank-signature": sign_body(_secret(city), body),
        **headers,
    }
    r = client.post(URL, content=body, headers=h)
    return r.status_code, r.json()


def _nothing_recorded(city: City) -> None:
    with city.container.uow(write=False) as uow:
        assert feeds.recent_imports(uow) == []
        assert all(h["received"] == 0 for h in feeds.health(uow))


def test_a_signature_with_non_ascii_characters_is_refused_as_bad(city: City) -> None:
    client = TestClient(create_app(city.container), raise_server_exceptions=False)
    status, answer = _post(
        client, city, _body(city, 2), "k-sig", **{"x-moralbank-signature": "sha256=é".encode()}
    )
    assert status == 401
    assert answer["detail"] == "bad or missing X-Moralbank-Signature"
    _nothing_recorded(city)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the body has no records"),
        (b"\n \n  \n", "the body has no records"),
        (b'{"records": []}', "the body has no records"),
        (b'{"records": {"record_id": "P-1"}}', '"records" must be a list'),
        (b'{"records": null}', '"records" must be a list'),
        (b'{"data": [{"record_id": "P-1"}]}', 'neither JSON Lines nor an object with "records"'),
        (b"[1, 2]", 'neither JSON Lines nor an object with "records"'),
        (b"42", 'neither JSON Lines nor an object with "records"'),
        ('{"record_id":"P-1","kind":"caf\xe9"}\n'.encode("latin-1"), "the body is not UTF-8 (byte 30)"),
    ],
)
def test_a_body_without_records_of_the_right_shape_is_refused_and_nothing_recorded(
    city: City, body: bytes, says: str
) -> None:
    client = TestClient(create_app(city.container))
    status, answer = _post(client, city, body, "k-shape")
    assert status == 422, answer
    assert says in answer["detail"]
    _nothing_recorded(city)


def test_a_body_over_the_limit_is_refused_with_413(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds_api, "MAX_BODY", 1000)
    client = TestClient(create_app(city.container))
    body = _body(city, 40)
    assert len(body) > 1000
    status, answer = _post(client, city, body, "k-big")
    assert status == 413
    assert answer["detail"] == "body larger than 50 MB: split it into several pushes"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it is read
        for i in range(0, len(body), 100):
            yield body[i : i + 100]

    token = _token(city, {"feeds:push:blood_donation"})
    r = client.post(
        URL,
        content=chunks(),
        headers={
            "authorization": f"Bearer {token}",
            "idempotency-key": "k-big-2",
            "x-moralbank-signature": sign_body(_secret(city), body),
        },
    )
    assert r.status_code == 413
    _nothing_recorded(city)


def test_the_answer_names_the_problems_of_the_quarantined_rows(city: City) -> None:
    client = TestClient(create_app(city.container))
    good = _body(city, 3)
    body = good + b"\nnot json at all\n" + json.dumps({"record_id": "P-x", "id_number": "1"}).encode()
    status, answer = _post(client, city, body, "k-problems")
    assert status == 200, answer
    assert (answer["received"], answer["accepted"], answer["quarantined"]) == (5, 3, 2)
    assert [p["row"] for p in answer["problems"]] == [4, 5]
    assert answer["problems"][0]["reason"] and answer["problems"][0]["detail"].startswith("not JSON")
    assert answer["problems_truncated"] is False
    again = _post(client, city, body, "k-problems")[1]
    assert again["replayed"] is True and again["problems"] == answer["problems"]


def test_the_answer_lists_at_most_100_problems(city: City) -> None:
    client = TestClient(create_app(city.container))
    body = b"\n".join(b"not json %d" % i for i in range(105))
    status, answer = _post(client, city, body, "k-many")
    assert status == 200, answer
    assert answer["quarantined"] == 105
    assert len(answer["problems"]) == 100 and answer["problems_truncated"] is True


def _donations(city: City, n: int) -> list[dict]:
    return [json.loads(line) for line in _body(city, n).splitlines()]


def _reconciles(answer: dict) -> bool:
    parts = ("accepted", "duplicates", "quarantined", "held_for_consent")
    return answer["received"] == sum(answer[k] for k in parts)


@pytest.mark.parametrize(
    "dump",
    [
        lambda doc: json.dumps(doc).encode(),  # "records" after 5,000 characters, on one line
        lambda doc: json.dumps(doc, indent=2).encode(),  # ... and pretty-printed over many lines
    ],
    ids=["one-line", "pretty"],
)
def test_an_object_with_records_is_read_whole_wherever_its_records_begin(city: City, dump) -> None:
    client = TestClient(create_app(city.container))
    body = dump({"meta": "x" * 5000, "records": _donations(city, 2)})
    status, answer = _post(client, city, body, "k-meta")
    assert status == 200, answer
    assert (answer["received"], answer["accepted"], answer["quarantined"]) == (2, 2, 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"records": [' + b",".join([b"{}"] * 100_001) + b"]}",
        b"{}\n" * 100_001,
    ],
    ids=["object", "lines"],
)
def test_a_push_of_more_records_than_the_limit_is_refused_and_nothing_recorded(
    city: City, body: bytes
) -> None:
    client = TestClient(create_app(city.container))
    status, answer = _post(client, city, body, "k-too-many")
    assert status == 422, answer
    assert (
        answer["detail"]
        == "field records: more than 100,000 records in one push: split it into several pushes"
    )
    _nothing_recorded(city)


TOO_LONG_INT = "9" * 5000  # more digits than Python converts to an int (4,300)


@pytest.mark.parametrize("shape", ["lines", "object", "pretty"])
def test_a_record_with_an_integer_too_long_for_python_is_quarantined_and_the_others_go_in(
    city: City, shape: str
) -> None:
    client = TestClient(create_app(city.container))
    records = [json.dumps(r) for r in _donations(city, 3)]
    records[1] = records[1].replace('"volume_ml": 300', f'"volume_ml": {TOO_LONG_INT}')
    body = {
        "lines": "\n".join(records),
        "object": '{"records": [' + ", ".join(records) + "]}",
        "pretty": '{\n  "records": [\n    ' + ",\n    ".join(records) + "\n  ]\n}\n",
    }[shape].encode()
    status, answer = _post(client, city, body, f"k-int-{shape}")
    assert status == 200, answer
    assert (answer["received"], answer["accepted"], answer["quarantined"]) == (3, 2, 1)
    assert _reconciles(answer)
    (problem,) = answer["problems"]
    assert (problem["row"], problem["reason"]) == (2, "bad_json")
    assert problem["detail"].startswith("not JSON: Exceeds the limit (4300 digits)")
