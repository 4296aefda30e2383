"""A pushed body or pulled page is read once, whole, and the import takes what was read: its shape
decided on the whole body, an object's records parsed one by one (capped, one unparsable record a
quarantined row), JSON Lines handed over line by line."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moralbank.errors import InvalidInput
from moralbank.feeds import bodies, domain
from moralbank.feeds.service import read_push_body

LONG_INT = "9" * 5000  # more digits than Python converts to an int (4,300)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(
    st.binary(max_size=40)
    | st.lists(st.sampled_from([b"a", b" ", b"\r", b"\n", b"\t", b"\x0b"])).map(b"".join)
)
def test_lines_are_those_of_splitlines_and_the_count_is_that_of_the_rows_read(raw: bytes) -> None:
    assert list(bodies.lines(raw)) == raw.splitlines()
    rows = len(list(domain.read_jsonl_lines(raw.splitlines(), file="push")))
    assert bodies.count_lines(raw, stop=1000) == rows
    assert bodies.count_lines(raw, stop=1) == min(rows, 1)


@given(json_values, st.lists(json_values, max_size=4), st.sampled_from([None, 0, 2]))
def test_one_json_value_reads_as_json_loads_reads_it(
    value: object, records: list, indent: int | None
) -> None:
    assert bodies.parse(json.dumps(value, indent=indent)) == value
    doc = {"before": value, "records": records, "after": 1}
    assert bodies.parse("\ufeff \n" + json.dumps(doc, indent=indent) + "\n") == doc


@pytest.mark.parametrize(
    "text", ['{"a": 1}\n{"a": 2}', '{"records": [1]}\n{"records": [2]}', "{", "", "not json"]
)
def test_text_that_is_not_one_json_value_is_json_lines_or_not_json(text: str) -> None:
    with pytest.raises(bodies.NotOneValue):
        bodies.parse(text)


def test_a_json_line_with_an_integer_too_long_for_python_is_quarantined_as_not_json() -> None:
    good = b'{"record_id": "P-1"}'
    rows = list(domain.read_jsonl_lines([good, b'{"record_id": %s}' % LONG_INT.encode(), good], file="push"))
    assert [r.problem is None for r in rows] == [True, False, True]
    assert (rows[1].problem.field, rows[1].line) == (domain.BAD_JSON, 2)
    assert rows[1].problem.reason.startswith("not JSON: Exceeds the limit (4300 digits)")


def test_a_record_with_an_integer_too_long_for_python_is_unreadable_and_its_neighbours_are_read() -> None:
    doc = bodies.parse(
        f'{{"records": [{{"a": 1}}, {{"a": {LONG_INT}, "b": [2]}}, {{"a": 3}}], "x": {LONG_INT}}}'
    )
    first, bad, last = doc["records"]
    assert (first, last) == ({"a": 1}, {"a": 3})
    assert isinstance(bad, bodies.Unreadable) and bad.reason.startswith("not JSON: Exceeds the limit (4300")
    (row,) = [r for r in bodies.Body(b"", doc["records"]).rows(file="push") if r.problem]
    assert (row.row, row.line, row.problem.field) == (2, 2, domain.BAD_JSON)
    with pytest.raises(bodies.NotOneValue):  # an unreadable record in text that is not JSON after all
        bodies.parse(f'{{"records": [{LONG_INT}, }}')


def test_a_record_of_an_object_body_naming_a_key_twice_is_bad_json_as_on_a_json_line() -> None:
    twice = '{"record_id": "P-1", "volume_ml": 300, "volume_ml": 400}'
    for body in (f'{{"records": [{twice}, {{"record_id": "P-2"}}]}}', f'{twice}\n{{"record_id": "P-2"}}'):
        bad, good = read_push_body(interface="blood_donation", body=body.encode()).rows(file="p")
        assert (bad.problem.field, good.problem) == (domain.BAD_JSON, None), body
        assert "volume_ml" in bad.problem.reason


def test_more_records_than_the_limit_are_refused_before_they_are_read() -> None:
    assert len(bodies.parse('{"records": [{}, {}, {}]}', limit=3)["records"]) == 3
    with pytest.raises(bodies.TooManyRecords):
        bodies.parse('{"records": [{}, {}, {}, {}, not even JSON', limit=3)


@pytest.mark.parametrize(
    "body",
    [b'{"records": [{}, {}, {}]}', b"{}\n\n{}\r\n  \n{}\n"],
    ids=["object", "lines"],
)
def test_a_push_of_up_to_the_limit_is_read_and_one_more_refused(body: bytes) -> None:
    assert len(list(read_push_body(interface="blood_donation", body=body, limit=3).rows(file="p"))) == 3
    with pytest.raises(InvalidInput, match="more than 2 records in one push: split it into several pushes"):
        read_push_body(interface="blood_donation", body=body, limit=2)


def test_the_import_reads_the_shape_the_check_decided() -> None:
    meta = {"meta": "x" * 5000, "records": [{"record_id": "P-1"}, {"record_id": "P-2"}]}
    for body in (json.dumps(meta).encode(), json.dumps(meta, indent=2).encode()):
        rows = list(read_push_body(interface="blood_donation", body=body).rows(file="p"))
        assert [r.values for r in rows] == meta["records"]
    # one record over several lines is one record, as on one line
    one = json.dumps({"record_id": "P-1", "volume_ml": 300}, indent=2).encode()
    (row,) = read_push_body(interface="blood_donation", body=one).rows(file="p")
    assert row.values == {"record_id": "P-1", "volume_ml": 300}


def test_reading_rows_holds_one_line_at_a_time_and_lets_each_record_go() -> None:
    raw = b'{"record_id": "P-1"}\n' * 200_000  # 4 MB
    tracemalloc.start()
    try:
        rows = bodies.Body(raw, None).rows(file="push")
        next(rows)
        next(rows)
        assert tracemalloc.get_traced_memory()[1] < 100_000  # splitlines() alone would take 10 MB
    finally:
        tracemalloc.stop()
    records = [{"record_id": f"P-{i}"} for i in range(3)]
    body = bodies.Body(b"", records)
    rows = body.rows(file="push")
    next(rows)
    assert records[0] is None and records[1] is not None
