"""Validation is total: whatever a JSON record or a cell holds, a row is either a record or a problem
naming its field and a stable reason — never an exception that loses the rest of the arrival."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
import yaml

from moralbank.errors import InvalidInput
from moralbank.feeds import domain, source
from moralbank.feeds.domain import Record, RowProblem
from moralbank.residents.idnumber import make

VH = source.load_interfaces()["volunteer_hours"]
TODAY = date(2026, 11, 25)
PERSON = make("330281", date(1980, 5, 1), 31)


def _check(line: bytes) -> Record | RowProblem:
    (raw,) = domain.read_jsonl_lines([line], file="push")
    # what the quarantine keeps must be storable: UTF-8 text
    json.dumps(raw.values, ensure_ascii=False).encode()
    return domain.validate(VH, raw, today=TODAY)


def _record(**changes: object) -> bytes:
    values = {"record_id": "V-1", "id_number": PERSON, "served_on": "2026-10-01", "hours": "4"}
    return json.dumps({**values, **changes}).encode()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"hours": "-4"}, "hours", domain.OUT_OF_RANGE),
        ({"hours": -0.5}, "hours", domain.OUT_OF_RANGE),
        ({"hours": "1e30"}, "hours", domain.OUT_OF_RANGE),
        ({"hours": 1e308}, "hours", domain.OUT_OF_RANGE),
        ({"hours": "NaN"}, "hours", domain.WRONG_TYPE),
        ({"hours": True}, "hours", domain.WRONG_TYPE),
        ({"hours": [1]}, "hours", domain.WRONG_TYPE),
        ({"record_id": ["x"]}, "record_id", domain.WRONG_TYPE),
        ({"record_id": {"n": 1}}, "record_id", domain.WRONG_TYPE),
        ({"record_id": 4.5}, "record_id", domain.WRONG_TYPE),
        ({"record_id": False}, "record_id", domain.WRONG_TYPE),
        ({"record_id": "x" * 5000}, "record_id", domain.TOO_LONG),
        ({"activity": {"n": 1}}, "activity", domain.WRONG_TYPE),
        ({"activity": "y" * 5000}, "activity", domain.TOO_LONG),
        ({"served_on": 20260101}, "served_on", domain.WRONG_TYPE),
        ({"served_on": ["2026-01-01"]}, "served_on", domain.WRONG_TYPE),
        ({"id_number": {"a": 1}}, "id_number", domain.WRONG_TYPE),
    ],
)
def test_a_value_of_the_wrong_kind_or_size_is_a_problem_naming_its_field(
    changes: dict, field: str, reason: str
) -> None:
    checked = _check(_record(**changes))
    assert isinstance(checked, RowProblem)
    assert (checked.field, checked.reason) == (field, reason)
    assert domain.read_detail(checked.detail) is not None  # a wording the pages can read back


def test_the_limits_are_stated_in_the_detail() -> None:
    checked = _check(_record(hours="-4"))
    assert (
        isinstance(checked, RowProblem) and checked.detail == "超出允许范围 0 至 1,000,000,000,000,000: '-4'"
    )


def test_a_record_id_given_as_a_json_integer_is_its_text() -> None:
    checked = _check(_record(record_id=42, hours=2.5))
    assert isinstance(checked, Record)
    assert checked.source_record_id == "42" and checked.values["hours"] == "2.5"


@pytest.mark.parametrize("field", ["record_id", "activity", "\ud800"])
def test_a_lone_surrogate_is_bad_encoding_of_its_field_and_is_not_kept(field: str) -> None:
    line = _record(**{field: "X"}).replace(b'"X"', b'"\\ud800"').replace(b'"\\ud800":', b'"\\udc00":')
    checked = _check(line)
    assert isinstance(checked, RowProblem) and checked.reason == domain.BAD_ENCODING
    assert checked.field == (field if field != "\ud800" else None)  # a key that is no field: none


def test_json_nested_too_deeply_is_bad_json() -> None:
    for line in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"):
        checked = _check(line)
        assert isinstance(checked, RowProblem) and checked.reason == domain.BAD_JSON
    nested = _record(activity=[[[[["deep"]]]]])
    checked = _check(nested)
    assert isinstance(checked, RowProblem) and checked.reason == domain.BAD_JSON


def test_a_csv_cell_is_checked_the_same_way() -> None:
    raw = domain.RawRow(
        1, 2, {"record_id": "V-1", "id_number": PERSON, "served_on": "2026-10-01", "hours": "-4"}
    )
    checked = domain.validate(VH, raw, today=TODAY)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == ("hours", "out_of_range")
    problems = domain.check_values(VH, {**raw.values, "hours": "1e400"}, today=TODAY)
    assert [(p.field, p.reason) for p in problems] == [("hours", "out of the field's range: '1e400'")]


def test_quantities_declare_their_minimum_as_data() -> None:
    schema = {f["name"]: f for f in VH.schema()["fields"]}
    assert schema["hours"]["min"] == 0 and "min" not in schema["activity"]
    data = yaml.safe_load((domain.INTERFACES_DIR / "volunteer_hours.yaml").read_text(encoding="utf-8"))
    spoiled = copy.deepcopy(data)
    spoiled["fields"][-1]["min"] = 0  # activity is text
    with pytest.raises(InvalidInput, match=r"fields\[4\]\.min is a number, on an int or decimal field"):
        domain.parse_interface(spoiled, source="volunteer_hours.yaml")


@pytest.mark.parametrize("key", ["hours", "zz"])
def test_an_integer_too_long_to_read_is_bad_json_of_its_line_not_a_failed_import(key: str) -> None:
    # json.loads raises a plain ValueError for more than 4,300 digits: the reader crashed on e.msg
    # (AttributeError), and the whole import or push with it, even for a key the interface lacks
    record = json.loads(_record())
    record.pop(key, None)
    line = json.dumps(record).encode()[:-1] + f', "{key}": {"9" * 5000}}}'.encode()
    checked = _check(line)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == (None, domain.BAD_JSON)
    assert checked.detail == (
        "not JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"
    )
    assert domain.read_detail(checked.detail) == ("bad_json", {"error": checked.detail[10:]})
    # the lines after it are read
    rows = list(domain.read_jsonl_lines([line, _record()], file="push"))
    assert [r.problem is None for r in rows] == [False, True]


def _row(line: bytes) -> domain.RawRow:
    (raw,) = domain.read_jsonl_lines([line], file="push")
    json.dumps(raw.values, ensure_ascii=False).encode()  # storable
    return raw


def test_a_line_that_is_not_json_keeps_its_text_for_staff_to_retype() -> None:
    # it was kept with no values: staff saw an empty fix form and nothing of what arrived
    line = _record()[:-1] + b",}"
    raw = _row(line)
    assert raw.problem is not None and raw.values == {domain.LINE: line.decode()}
    assert _row(b"[1, 2]\n").values == {domain.LINE: "[1, 2]"}
    assert _row(b'{"a":' * 10 + b"1" + b"}" * 10).values[domain.LINE].startswith('{"a":{"a":')
    long = b'{"activity": "' + b"x" * 100_000
    assert len(_row(long).values[domain.LINE]) == domain.MAX_LINE_KEPT
    # a record given in a list of records: written as JSON
    (listed,) = domain.read_json_records([["V-1", PERSON]], file="push")
    assert listed.values == {domain.LINE: f'["V-1", "{PERSON}"]'}


def test_a_line_with_bytes_that_are_not_utf8_keeps_its_values_and_names_the_field() -> None:
    # it was kept with no values, and no field named
    line = _record(activity="X").replace(b'"X"', b'"caf\xe9"')
    raw = _row(line)
    assert raw.values == {**json.loads(_record()), "activity": "caf\ufffd"}
    checked = domain.validate(VH, raw, today=TODAY)
    assert isinstance(checked, RowProblem)
    assert (checked.field, checked.reason, checked.detail) == (
        "activity",
        domain.BAD_ENCODING,
        "bytes that are not UTF-8",
    )
    # and one that is not JSON either keeps its text, the bytes as U+FFFD
    raw = _row(b'{"record_id": "V-\xff", ')
    assert raw.values == {domain.LINE: '{"record_id": "V-\ufffd",'}
    checked = domain.validate(VH, raw, today=TODAY)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == (None, domain.BAD_ENCODING)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("record_id", "V\x001"),  # PostgreSQL refuses NUL in text: the whole batch failed
        ("record_id", "V\t1"),  # a record id has no control character at all
        ("activity", "a\x00b"),
        ("activity", "\x1b[31mred"),
        ("served_on", "2026-10-01\x00"),
    ],
)
def test_a_control_character_is_bad_encoding_of_its_field(field: str, value: str) -> None:
    checked = _check(_record(**{field: value}))
    assert isinstance(checked, RowProblem)
    assert (checked.field, checked.reason) == (field, domain.BAD_ENCODING)
    assert checked.detail == f"a control character in the text: {value!r}"
    assert domain.read_detail(checked.detail) == ("control_character", {"value": value})
    problems = domain.check_values(VH, {**json.loads(_record()), field: value}, today=TODAY)
    assert [(p.field, p.reason) for p in problems] == [(field, f"a control character in the text: {value!r}")]


def test_free_text_keeps_its_tabs_and_line_breaks() -> None:
    checked = _check(_record(activity="one\ttwo\r\nthree\n"))
    assert isinstance(checked, Record) and checked.values["activity"] == "one\ttwo\r\nthree"


def test_a_key_the_interface_lacks_is_never_the_field_of_a_problem() -> None:
    # the key became the quarantine row's field, a varchar(64): on PostgreSQL the whole batch failed
    key = "k" * 70
    line = _record()[:-1] + f', "{key}\\ud800": 1}}'.encode()
    checked = _check(line)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == (None, domain.BAD_ENCODING)
    assert checked.detail == (
        f"bytes that are not UTF-8 in '{'k' * 40}…', which is not a field of volunteer_hours"
    )
    assert domain.read_detail(checked.detail) == (
        "undeclared_encoding",
        {"encoding": "UTF-8", "name": f"'{'k' * 40}…'", "interface": "volunteer_hours"},
    )
    # a field the interface declares is named as before
    checked = _check(_record(activity="X").replace(b'"X"', b'"\\ud800"'))
    assert isinstance(checked, RowProblem) and checked.field == "activity"


def test_hostile_long_values_leave_nothing_behind_in_the_caches() -> None:
    # the ID-number and date caches kept every text they were asked about (65,536 entries each): rows
    # of 2,000-character values pinned about 1 GB per process for good
    import gc
    import tracemalloc

    def hostile(i: int) -> list[domain.RawRow]:
        pad = f"{i:08d}" + "😀" * 1_990
        bad_id = {"record_id": f"V-{i}", "id_number": PERSON[:17] + pad[:1_983], "served_on": "2026-10-01"}
        bad_date = {"record_id": f"V-{i}", "id_number": PERSON, "served_on": "2026-10-01T" + pad[:1_989]}
        return [domain.RawRow(i, i, bad_id), domain.RawRow(i, i, bad_date)]

    for raw in hostile(-1):  # the first rows warm up what every row uses
        domain.validate(VH, raw, today=TODAY)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(500):
            for raw in hostile(i):
                assert len(raw.values["id_number"]) <= 2000 and len(raw.values["served_on"]) <= 2000
                domain.validate(VH, raw, today=TODAY)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 500_000, kept  # it was 8 MB here (16 KB a row)


def test_a_record_naming_a_key_twice_is_bad_json_keeping_both_values() -> None:
    # Python kept the last value and said nothing: "hours": 4, "hours": -4 went in as -4 (or 4 -> 40)
    line = _record()[:-1] + b', "hours": "40", "activity": "x", "activity": "y", "activity": "z"}'
    raw = _row(line)
    assert raw.values == {**json.loads(_record()), "hours": '["4", "40"]', "activity": '["x", "y", "z"]'}
    checked = domain.validate(VH, raw, today=TODAY)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == (None, domain.BAD_JSON)
    assert checked.detail == "the key 'hours' appears more than once"
    assert domain.read_detail(checked.detail) == ("repeated_key", {"key": "'hours'"})
    # a pushed or pulled list of records, read with the same reader, is checked alike
    (listed,) = domain.read_json_records(domain.json_loads(b"[" + line + b"]"), file="push")
    assert listed.problem is not None and listed.problem.reason == checked.detail
    # a key repeated inside a value (refused or ignored as a whole) does not refuse the record
    assert _row(_record()[:-1] + b', "zz": {"a": 1, "a": 2}}').problem is None
