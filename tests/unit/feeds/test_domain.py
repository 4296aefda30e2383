"""Pure rules of the data interfaces: loading and checking interface files, reading files in three
formats and three encodings, validating rows, mapping to indicators, counts, signatures."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.errors import InvalidInput
from moralbank.feeds import domain, samples, source
from moralbank.feeds.domain import Counts, RawRow, Record, RowProblem
from moralbank.kernel.signatures import sign_body, signature_ok
from moralbank.residents.idnumber import make

IFACES = source.load_interfaces()
TODAY = date(2026, 11, 25)
PEOPLE = [make("330281", date(1970 + i, 5, 1 + i), 31 + i) for i in range(6)]


def _raw(**values: str | None) -> RawRow:
    return RawRow(1, 2, dict(values))


def test_eighteen_interfaces_load_and_each_names_its_identifier_and_record_id() -> None:
    assert len(IFACES) == 18
    for i in IFACES.values():
        s = i.schema()
        assert s["identifier"] in i.field_names and s["source_id"] in i.field_names
        assert s["identifier_standard"] in ("GB 11643", "GB 32100")
        assert all({"name", "type", "required"} <= set(f) for f in s["fields"])


def _data(name: str = "blood_donation") -> dict:
    return yaml.safe_load((domain.INTERFACES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "spoil,needle",
    [
        (lambda d: d.pop("consent_required"), "consent_required"),
        (lambda d: d.update(identifier="nope"), "identifier names field 'nope'"),
        (lambda d: d["fields"].append({"name": "x", "type": "float"}), "unknown type"),
        (lambda d: d["rules"][0].update(when={"kind": "unheard_of"}), "not among the codes"),
        (lambda d: d.update(transports=["file", "pull"]), "pull.url"),
        (lambda d: d.update(date_field="kind"), "must be of type date"),
    ],
)
def test_a_broken_interface_file_is_refused_with_the_reason(spoil, needle: str) -> None:  # noqa: ANN001
    data = copy.deepcopy(_data())
    spoil(data)
    with pytest.raises(InvalidInput, match=needle):
        domain.parse_interface(data, source="x.yaml")


def test_validation_reasons() -> None:
    iface = IFACES["blood_donation"]
    good = {
        "record_id": "1",
        "id_number": PEOPLE[0],
        "donated_on": "2026/11/01",
        "kind": "platelets",
        "volume_ml": "300",
    }
    rec = domain.validate(iface, _raw(**good), today=TODAY)
    assert (
        isinstance(rec, domain.Record)
        and rec.deed_date == date(2026, 11, 1)
        and rec.values["volume_ml"] == 300
    )
    cases = {
        "id_number": (PEOPLE[0][:17] + ("0" if PEOPLE[0][17] != "0" else "1"), "bad_id_number"),
        "donated_on": ("2026-02-30", "bad_date"),
        "kind": ("plasma", "unknown_code"),
        "volume_ml": ("三百", "wrong_type"),
        "record_id": (None, "missing_value"),
    }
    for field, (value, reason) in cases.items():
        p = domain.validate(iface, _raw(**{**good, field: value}), today=TODAY)
        assert isinstance(p, RowProblem) and (p.field, p.reason) == (field, reason)
    shown = domain.validate(iface, _raw(**{**good, "id_number": cases["id_number"][0]}), today=TODAY)
    assert PEOPLE[0][6:14] not in shown.detail  # the birth date of a bad ID number is not quoted
    future = domain.validate(iface, _raw(**{**good, "donated_on": "2027-01-01"}), today=TODAY)
    assert isinstance(future, RowProblem) and future.reason == "bad_date"


def test_organisation_codes_are_checked_with_gb_32100() -> None:
    iface = IFACES["tax_credit"]
    row = {
        "record_id": "T1",
        "uscc": "91350100M000100Y43",
        "legal_rep_id_number": PEOPLE[1],
        "assessed_on": "2026-04-01",
        "grade": "A",
        "year": "2025",
    }
    assert isinstance(domain.validate(iface, _raw(**row), today=TODAY), domain.Record)
    bad = domain.validate(iface, _raw(**{**row, "uscc": "91350100M000100Y44"}), today=TODAY)
    assert isinstance(bad, RowProblem) and bad.reason == "bad_uscc"


def test_rules_map_to_indicators_and_policy_caps_clamp() -> None:
    vol = IFACES["volunteer_hours"]
    assert domain.apply_rules(vol, {"hours": "1.5"}) is None  # under 2 hours: does not qualify
    assert domain.apply_rules(vol, {"hours": "4"}).points == 4
    assert domain.apply_rules(vol, {"hours": "40"}).points == 5  # the rule's own maximum
    assert domain.apply_rules(vol, {"hours": "4"}, caps={"SM01": (2, 3)}).points == 3  # the policy's cap wins
    court = IFACES["court_enforcement"]
    m = domain.apply_rules(court, {"status": "listed"})
    assert (m.indicator, m.points) == ("PC05", -50)
    assert domain.apply_rules(court, {"status": "fulfilled"}) is None


@pytest.mark.parametrize(
    "ext,encoding",
    [("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gb18030"), ("xlsx", "utf-8"), ("jsonl", "utf-8")],
)
def test_files_round_trip_in_every_format(tmp_path: Path, ext: str, encoding: str) -> None:
    iface = IFACES["market_supervision"]
    path = tmp_path / f"m.{ext}"
    rows = list(samples.rows(iface, PEOPLE, 25, seed=5, today=TODAY))
    samples.write(path, iface, iter(rows), encoding=encoding)
    read = list(domain.read_rows(path, fields=iface.field_names[:3]))
    assert [r.values["record_id"] for r in read] == [r["record_id"] for r in rows]
    assert all(isinstance(domain.validate(iface, r, today=TODAY), domain.Record) for r in read)
    if ext == "csv":
        assert domain.detect_encoding(path.read_bytes()[:4096]) == encoding


def test_one_gbk_row_does_not_turn_a_utf8_file_into_gb18030(tmp_path: Path) -> None:
    # Even-length Chinese words in UTF-8 decode as GB18030 too (into other characters): counting the
    # bytes each encoding can decode picked GB18030 here and stored every good row garbled.
    words = ["测试", "执行案号", "合同纠纷", "便民服务", "社区活动", "日常记录"]
    lines = ["record_id,id_number,listed_on,status,case_number"] + [
        f"MX-{i:03d},{PEOPLE[i]},2026-05-0{i + 1},fulfilled,{w}" for i, w in enumerate(words)
    ]
    path = tmp_path / "court.csv"
    path.write_bytes(
        "\n".join(lines).encode()
        + b"\n"
        + f"MX-009,{PEOPLE[0]},2026-05-09,fulfilled,".encode()
        + "旧系统".encode("gb18030")
        + b"\n"
    )
    assert domain.detect_encoding(path.read_bytes()) == "utf-8"
    rows = list(domain.read_csv(path))
    assert [r.values["case_number"] for r in rows[:6]] == words
    assert all(r.problem is None for r in rows[:6])
    assert rows[6].problem is not None and rows[6].problem.field == "case_number"
    # and a GB18030 file with one line that happens to be valid UTF-8 stays GB18030
    gb = "\n".join(lines).encode("gb18030") + b"\nMX-010,x,2026-05-10,fulfilled,\xc3\xa9\n"
    assert domain.detect_encoding(gb) == "gb18030"
    # a character cut off at the end of the sniffed head is no evidence either way
    assert domain.detect_encoding("\n".join(lines).encode()[:-1]) == "utf-8"


def test_a_damaged_row_does_not_spoil_the_file(tmp_path: Path) -> None:
    iface = IFACES["blood_donation"]
    path = tmp_path / "b.csv"
    lines = [
        "record_id,id_number,donated_on,kind,volume_ml",
        f"1,{PEOPLE[0]},2026-11-01,whole_blood,300",
        f"2,{PEOPLE[1]},2026-11-01,whole_blood",
        f"3,{PEOPLE[2]},2026-11-01,whole_blood,300",
    ]
    data = (
        "\r\n".join(lines).encode()
        + b"\r\n"
        + f"4,{PEOPLE[3]},2026-11-01,".encode()
        + b"\xff\xfe"
        + b",300\r\n"
    )
    path.write_bytes(data)
    out = [domain.validate(iface, r, today=TODAY) for r in domain.read_rows(path)]
    assert [type(o).__name__ for o in out] == ["Record", "RowProblem", "Record", "RowProblem"]
    assert (out[1].reason, out[1].row, out[1].line) == ("ragged_row", 2, 3)
    assert (out[3].reason, out[3].field) == ("bad_encoding", "kind")


BLOOD_HEADER = "record_id,id_number,donated_on,kind,volume_ml"


def _blood_line(i: int, volume: str = "300") -> str:
    return f"{i},{PEOPLE[i % len(PEOPLE)]},2026-11-01,whole_blood,{volume}"


def _read_blood(path: Path, lines: list[str]) -> list[Record | RowProblem]:
    path.write_text("\n".join([BLOOD_HEADER, *lines]) + "\n", encoding="utf-8", newline="")
    return [domain.validate(IFACES["blood_donation"], r, today=TODAY) for r in domain.read_rows(path)]


def _outline(out: list[Record | RowProblem]) -> list[tuple[int, int | None, str]]:
    """(row, line, record id or reason) of each row read."""
    return [
        (o.row, o.line, o.reason) if isinstance(o, RowProblem) else (o.row, None, o.source_record_id)
        for o in out
    ]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_cell_longer_than_the_csv_limit_is_its_row_and_the_rows_after_it_are_read(
    tmp_path: Path, quoted: bool
) -> None:
    # it stopped the whole import ("field larger than field limit (131072)"), the rows after it unread
    huge = "9" * 140_000
    cell = f'"{huge}"' if quoted else huge
    out = _read_blood(
        tmp_path / "b.csv", [_blood_line(1), _blood_line(2), _blood_line(3, cell), _blood_line(4)]
    )
    assert _outline(out) == [(1, None, "1"), (2, None, "2"), (3, 4, "bad_csv"), (4, None, "4")]
    read = list(domain.read_csv(tmp_path / "b.csv"))
    problem = read[2].problem
    assert problem is not None and (problem.file, problem.row, problem.line) == ("b.csv", 3, 4)
    assert problem.reason == (
        "a quote opened on line 4 is not closed within 131,072 characters"
        if quoted
        else "a cell longer than 131,072 characters"
    )


def test_a_quote_never_closed_is_its_row_and_the_lines_it_swallowed_are_read(tmp_path: Path) -> None:
    # the lenient reader made one cell of every line after the quote: with as many cells as the header
    # the row passed, and the rows swallowed were silently lost
    lines = [_blood_line(1), '2,"unterminated,2026-11-01,whole_blood,300', _blood_line(3), _blood_line(4)]
    out = _read_blood(tmp_path / "b.csv", lines)
    assert _outline(out) == [(1, None, "1"), (2, 3, "bad_csv"), (3, None, "3"), (4, None, "4")]
    bad = list(domain.read_csv(tmp_path / "b.csv"))[1]
    assert bad.problem is not None and bad.problem.reason == "a quote opened on line 3 is never closed"
    assert bad.values == {"record_id": "2", "id_number": "unterminated,2026-11-01,whole_blood,300"}
    # a file too long for the swallowed lines to fit in one cell: the same, they are read again
    many = [_blood_line(i) for i in range(3, 12_000)]
    out = _read_blood(tmp_path / "b.csv", [_blood_line(1), '2,"unterminated', *many])
    assert _outline(out)[:3] == [(1, None, "1"), (2, 3, "bad_csv"), (3, None, "3")]
    assert len(out) == 11_999 and all(isinstance(o, domain.Record) for o in out[2:])
    assert out[1].detail == "a quote opened on line 3 is not closed within 131,072 characters"


def test_text_after_a_closing_quote_is_its_row_not_a_garbled_value(tmp_path: Path) -> None:
    # '"whole"_blood' was read as the valid code 'whole_blood'
    lines = [_blood_line(1), f'2,{PEOPLE[2]},2026-11-01,"whole"_blood,300', _blood_line(3)]
    out = _read_blood(tmp_path / "b.csv", lines)
    assert _outline(out) == [(1, None, "1"), (2, 3, "bad_csv"), (3, None, "3")]
    assert out[1].detail == "the quoted cell opened on line 3 has text after its closing quote"
    # a quote that ran on over lines before such text: the lines it ran over are rows again
    lines = [
        _blood_line(1),
        '2,"x',
        _blood_line(3),
        f'4,"{PEOPLE[4]}"x,2026-11-01,whole_blood,300',
        _blood_line(5),
    ]
    out = _read_blood(tmp_path / "b.csv", lines)
    assert _outline(out) == [
        (1, None, "1"),
        (2, 3, "bad_csv"),
        (3, None, "3"),
        (4, 5, "bad_csv"),
        (5, None, "5"),
    ]


def test_a_header_the_csv_reader_refuses_refuses_the_file_naming_line_1(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text('record_id,"id_number\n1,2\n')
    with pytest.raises(InvalidInput, match="b.csv, line 1, field bad_csv: a quote opened on line 1 is never"):
        list(domain.read_rows(path))


def test_a_missing_column_refuses_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("record_id,donated_on\n1,2026-01-01\n")
    with pytest.raises(InvalidInput, match="id_number"):
        list(domain.read_rows(path, fields=IFACES["blood_donation"].field_names))


def test_push_signature() -> None:
    body = b'{"record_id": "1"}'
    sig = sign_body(b"k" * 32, body)
    assert signature_ok(b"k" * 32, body, sig)
    assert not signature_ok(b"k" * 32, body + b" ", sig)
    assert not signature_ok(b"x" * 32, body, sig)
    assert not signature_ok(b"k" * 32, body, None)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["accepted", "duplicates", "quarantined", "held_for_consent"]), max_size=50),
    st.integers(min_value=1, max_value=7),
)
def test_counts_reconcile_however_batches_split(outcomes: list[str], cut: int) -> None:
    total = Counts()
    for i in range(0, len(outcomes), cut):
        part = Counts(received=len(outcomes[i : i + cut]))
        for o in outcomes[i : i + cut]:
            setattr(part, o, getattr(part, o) + 1)
        total.add(part)
    assert total.reconciles() and total.received == len(outcomes)


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.integers(), st.text(max_size=5))
    )
)
def test_content_hash_ignores_key_order_and_sees_every_change(values: dict) -> None:
    flipped = dict(reversed(list(values.items())))
    assert domain.content_hash(values) == domain.content_hash(flipped)
    changed = {**values, "a": "changed!" if values.get("a") != "changed!" else "other"}
    assert domain.content_hash(changed) != domain.content_hash(values)


def test_uscc_check_agrees_with_python_stdnum() -> None:
    """The fast GB 32100 check (codes already in compact form) gives python-stdnum's answer for valid
    codes, spoiled check characters, letters outside the alphabet, lower case, separators and lengths."""
    import random

    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    from moralbank.feeds.samples import make_uscc

    rng = random.Random(7)
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXYZIOSVa -"
    texts = []
    for _ in range(3000):
        code = make_uscc(rng)
        texts += [code, code.lower(), code[:9] + " " + code[9:], code[:-1], code + "1"]
        k = rng.randrange(18)
        texts.append(code[:k] + rng.choice(chars) + code[k + 1 :])
        texts.append("".join(rng.choice(chars) for _ in range(18)))
    valid = 0
    for text in texts:
        try:
            expected: str | None = str(uscc.validate(text))
        except ValidationError:
            expected = None
        assert domain.valid_uscc(text) == expected, text
        valid += expected is not None
    assert valid > 3000  # the valid codes (and their tolerated spellings) were exercised


def test_canonical_json_is_what_the_content_hash_hashes() -> None:
    values = {"b": "余姚", "a": 1, "c": None, "d": True}
    canon = domain.canonical_json(values)
    assert canon == '{"a":1,"b":"余姚","c":null,"d":true}'
    assert domain.hash_text(canon) == domain.content_hash(values)


_GOOD = {
    "record_id": "R-1",
    "id_number": PEOPLE[0],
    "donated_on": "2026-11-01",
    "kind": "whole_blood",
    "volume_ml": "300",
}


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "record_id": st.sampled_from(["R-1", "", None]),
            "id_number": st.sampled_from([PEOPLE[0], PEOPLE[0][:17] + "Z", "", None]),
            "donated_on": st.sampled_from(
                ["2026-11-01", "2026/11/01", "2026-02-30", "2027-01-01", "昨天", ""]
            ),
            "kind": st.sampled_from(["whole_blood", "plasma", None]),
            "volume_ml": st.sampled_from(["300", "三百", "", None]),
        }
    )
)
def test_a_staff_fix_is_checked_as_the_import_checks_a_row(values: dict) -> None:
    """``check_values`` refuses exactly the rows ``validate`` refuses, naming every field that alone
    would make a good row fail."""
    iface = IFACES["blood_donation"]
    problems = {p.field for p in domain.check_values(iface, values, today=TODAY)}
    checked = domain.validate(iface, _raw(**values), today=TODAY)
    assert (not problems) == isinstance(checked, domain.Record)
    alone = {
        f
        for f, v in values.items()
        if isinstance(domain.validate(iface, _raw(**{**_GOOD, f: v}), today=TODAY), RowProblem)
    }
    assert problems == alone


def test_every_detail_a_row_problem_is_stored_with_reads_back_as_its_kind(tmp_path: Path) -> None:
    """What the readers and the validator write, a page reads back (``read_detail``) to say it in its own
    language: a new wording without a reading would reach the page as it was stored."""
    iface, org = IFACES["blood_donation"], IFACES["market_supervision"]
    good = {"record_id": "1", "id_number": PEOPLE[0], "donated_on": "2026-11-01", "kind": "platelets"}
    good["volume_ml"] = "300"
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"record_id": 1,\n["1"]\n{"record_id": "\xff"}\n')
    read = [domain.validate(iface, r) for r in domain.read_rows(path)]
    path = tmp_path / "b.csv"
    path.write_bytes(b"record_id,id_number,donated_on,kind,volume_ml\r\n1,2,3\r\n")
    read += [domain.validate(iface, r) for r in domain.read_rows(path)]
    spoilt = [
        {"volume_ml": "十二"},
        {"donated_on": "2026-13-01"},
        {"kind": "X"},
        {"id_number": PEOPLE[0][:-1] + "0" if PEOPLE[0][-1] != "0" else PEOPLE[0][:-1] + "1"},
        {"donated_on": None},
        {"donated_on": "2027-01-01"},
    ]
    read += [domain.validate(iface, _raw(**{**good, **change}), today=TODAY) for change in spoilt]
    (company,) = samples.rows(org, PEOPLE, 1, today=TODAY)
    company[org.identifier] = company[org.identifier][:-1] + (
        "0" if company[org.identifier][-1] != "0" else "1"
    )
    read.append(domain.validate(org, _raw(**company), today=TODAY))
    details = [p.detail for p in read] + [domain.UNKNOWN_PERSON_DETAIL]
    kinds = [domain.read_detail(d) for d in details]
    assert [k for k, _ in kinds] == [
        "bad_json",
        "json_object",
        "bad_encoding",
        "ragged_row",
        "wrong_type",
        "bad_date",
        "unknown_code",
        "bad_id_number",
        "missing_value",
        "future_date",
        "bad_uscc",
        "unknown_person",
    ]
    assert kinds[0][1] == {"error": "Expecting property name enclosed in double quotes"}
    assert kinds[3][1] == {"cells": "3", "columns": "5"}
    assert kinds[4][1] == {"type": "int", "value": "十二"} and kinds[6][1] == {"value": "X"}
    assert domain.read_detail("something a later version wrote") is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-01", "2026-11-01"),
        ("2026/11/1", "2026-11-01"),
        ("20261101", "2026-11-01"),
        ("2026年11月1日", "2026-11-01"),
        ("2026-11-01T10:30", "2026-11-01"),
        ("2026-11-01T10:30:00", "2026-11-01"),  # a workbook's date and time
        ("2026-11-01T10:30:00.123Z", "2026-11-01"),
        ("2026-11-01T23:59:59.123456789+08:00", "2026-11-01"),
        ("2026-11-01T00:00-0500", "2026-11-01"),
        ("1949-10-01", "1949-10-01"),
    ],
)
def test_a_date_is_taken_in_its_forms_and_with_a_whole_iso_time(text: str, day: str) -> None:
    checked = domain.validate(IFACES["blood_donation"], _raw(**{**_GOOD, "donated_on": text}), today=TODAY)
    assert isinstance(checked, Record) and checked.values["donated_on"] == day


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-01Tgarbage",  # the text after T was never looked at
        "2026-11-01T",
        "2026-11-01T25:00",
        "2026-11-01T10:00:60",
        "2026-11-01T10",
        "2026/11/01T10:00",
        "２０２６-１１-０１",  # full-width digits
        "٢٠٢٦-١١-٠١",  # Arabic-Indic digits
        "0000-01-01",
    ],
)
def test_a_date_with_a_time_that_is_no_time_or_digits_that_are_not_ascii_is_bad(text: str) -> None:
    checked = domain.validate(IFACES["blood_donation"], _raw(**{**_GOOD, "donated_on": text}), today=TODAY)
    assert isinstance(checked, RowProblem) and (checked.field, checked.reason) == ("donated_on", "bad_date")
    assert domain.check_values(IFACES["blood_donation"], {**_GOOD, "donated_on": text}, today=TODAY)


@pytest.mark.parametrize("text", ["0001-01-01", "1900-01-01", "1949-09-30"])
def test_a_date_before_the_republic_is_out_of_range_naming_the_bound(text: str) -> None:
    # one row of 0001-01-01 made the interface's mean lag on the health page read 739,944 days
    checked = domain.validate(IFACES["blood_donation"], _raw(**{**_GOOD, "donated_on": text}), today=TODAY)
    assert isinstance(checked, RowProblem)
    assert (checked.field, checked.reason) == ("donated_on", "out_of_range")
    assert checked.detail == f"超出允许范围 1949-10-01 至 9999-12-31: '{text}'"
    assert domain.read_detail(checked.detail) == (
        "out_of_range",
        {"low": "1949-10-01", "high": "9999-12-31", "value": text},
    )
    (problem,) = domain.check_values(IFACES["blood_donation"], {**_GOOD, "donated_on": text}, today=TODAY)
    assert problem.reason == f"out of the field's range: '{text}'"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1_000", "wrong_type"),  # taken in a decimal field, refused in an int field
        ("４００", "wrong_type"),  # full-width digits
        ("٤٠٠", "wrong_type"),  # Arabic-Indic digits
        ("NaN", "wrong_type"),
        ("Infinity", "wrong_type"),
        ("1" * 31, "out_of_range"),  # wrong_type in an int field
        ("1e999999999999999999999", "out_of_range"),
        ("-4", "out_of_range"),
    ],
)
def test_int_and_decimal_fields_read_a_number_alike(text: str, reason: str) -> None:
    blood, hours = IFACES["blood_donation"], IFACES["volunteer_hours"]
    as_int = domain.validate(blood, _raw(**{**_GOOD, "volume_ml": text}), today=TODAY)
    good_hours = {"record_id": "V-1", "id_number": PEOPLE[0], "served_on": "2026-11-01", "hours": text}
    as_decimal = domain.validate(hours, _raw(**good_hours), today=TODAY)
    for checked in (as_int, as_decimal):
        assert isinstance(checked, RowProblem) and checked.reason == reason, checked
        assert checked.detail.endswith(f": {text[:60]!r}")


def test_a_whole_number_is_an_int_however_it_is_written() -> None:
    for text in ("400", "+400", "400.0", "4e2", "4.00E+2"):
        checked = domain.validate(IFACES["blood_donation"], _raw(**{**_GOOD, "volume_ml": text}), today=TODAY)
        assert isinstance(checked, Record) and checked.values["volume_ml"] == 400, text
    checked = domain.validate(IFACES["blood_donation"], _raw(**{**_GOOD, "volume_ml": "400.5"}), today=TODAY)
    assert isinstance(checked, RowProblem) and checked.reason == "wrong_type"


def test_a_huge_number_in_a_workbook_is_out_of_range_as_it_was_written(tmp_path: Path) -> None:
    # 1e308 became 309 digits of float noise ("100000000000000001097906362944045541…"): wrong_type
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(list(_GOOD))
    wb.active.append([*list(_GOOD.values())[:4], 1e308])
    wb.active.append([*list(_GOOD.values())[:4], 300.0])
    wb.save(tmp_path / "b.xlsx")
    huge, fine = (domain.validate(IFACES["blood_donation"], r) for r in domain.read_rows(tmp_path / "b.xlsx"))
    assert isinstance(huge, RowProblem) and huge.reason == "out_of_range"
    assert huge.detail == "超出允许范围 0 至 1,000,000,000,000,000: '1e+308'"
    assert isinstance(fine, Record) and fine.values["volume_ml"] == 300


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_identifiers_in_full_width_characters_are_refused_alike() -> None:
    # a full-width ID number was taken (python-stdnum turns full-width digits into ASCII), a full-width
    # GB 32100 code refused (stdnum leaves its full-width letters): both are refused now, as full-width
    # digits are in numbers and dates
    person = domain.validate(
        IFACES["blood_donation"], _raw(**{**_GOOD, "id_number": _full_width(PEOPLE[0])}), today=TODAY
    )
    assert isinstance(person, RowProblem) and person.reason == "bad_id_number"
    assert domain.valid_id_number(_full_width(PEOPLE[0])) is None
    assert domain.valid_uscc(_full_width("91350100M000100Y43")) is None
    assert domain.valid_id_number(PEOPLE[0].lower()) == PEOPLE[0]  # ASCII spellings as before


def test_a_decimal_is_stored_in_one_form_so_equal_values_hash_alike() -> None:
    # "4", "4.0" and "4.00" of one record were three contents: a correction (a ledger reversal and a
    # new entry) each time the department wrote the same value another way
    iface = IFACES["volunteer_hours"]
    base = {"record_id": "V-1", "id_number": PEOPLE[0], "served_on": "2026-11-01"}
    hashes = set()
    for hours in ("4", "4.0", "4.00", "4e0", "+4", "0.4E1", 4, 4.0):
        checked = domain.validate(iface, _raw(**base, hours=hours), today=TODAY)  # type: ignore[arg-type]
        assert isinstance(checked, Record) and checked.values["hours"] == "4", hours
        hashes.add(checked.content_hash())
    assert len(hashes) == 1
    for written, stored in (("-0.0", "0"), ("0.10", "0.1"), ("2.50", "2.5"), ("1e-7", "0.0000001")):
        assert domain.canonical_decimal(Decimal(written)) == stored
    assert domain.canonical_decimal(Decimal("1e-40")) == "1E-40"  # not 40 digits


def test_a_payload_stored_before_decimals_were_canonical_reads_as_today() -> None:
    iface = IFACES["volunteer_hours"]
    old = domain.canonical_json(
        {"record_id": "V-1", "id_number": "R1", "served_on": "2026-11-01", "hours": "4.0"}
    )
    new = domain.canonical_json(
        {"record_id": "V-1", "id_number": "R1", "served_on": "2026-11-01", "hours": "4"}
    )
    assert old != new and domain.recanonical(iface, old) == new


def test_a_column_name_with_bytes_that_do_not_decode_is_kept_as_text(tmp_path: Path) -> None:
    # the name kept its undecodable bytes as lone surrogates in every row's values, so a quarantined
    # row of such a file could not be stored (not UTF-8): the whole batch failed
    path = tmp_path / "b.csv"
    path.write_bytes(BLOOD_HEADER.encode() + b",note\xff\r\n" + f"{_blood_line(1, '三百')},x\r\n".encode())
    (raw,) = domain.read_rows(path)
    assert raw.values["note\ufffd"] == "x"
    json.dumps(raw.values, ensure_ascii=False).encode()  # what the quarantine keeps is UTF-8 text
    checked = domain.validate(IFACES["blood_donation"], raw, today=TODAY)
    assert isinstance(checked, RowProblem) and checked.reason == "wrong_type"
