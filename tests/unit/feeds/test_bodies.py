"""A pushed body or pulled page is read once, whole, and the import takes what was read: its shape
decided on the whole body, an object's records parsed one by one (capped, one unparsable record a
quarantined row), JSON Lines handed over line by line."""

from __future__ import annotations

from moralbank.feeds import domain

LONG_INT = "9" * 5000  # more digits than Python converts to an int (4,300)


def test_a_json_line_with_an_integer_too_long_for_python_is_quarantined_as_not_json() -> None:
    good = b'{"record_id": "P-1"}'
    rows = list(domain.read_jsonl_lines([good, b'{"record_id": %s}' % LONG_INT.encode(), good], file="push"))
    assert [r.problem is None for r in rows] == [True, False, True]
    assert (rows[1].problem.field, rows[1].line) == (domain.BAD_JSON, 2)
    assert rows[1].problem.reason.startswith("not JSON: Exceeds the limit (4300 digits)")
