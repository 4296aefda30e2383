"""Reading a pushed body or a pulled page: JSON Lines, or one JSON object whose ``records`` is a list.

A body is read once, and the import takes what was read, so the answer to "which shape is it?" is the
same for the check and for the import. The shape is decided on the whole body. The records of an
object are parsed one by one: their number is capped before they are all in memory, and a record the
parser cannot take (an integer of more digits than Python converts, 4,300 by default) becomes a
quarantined row instead of making the whole body "not JSON". JSON Lines go to the import line by line,
never split all at once.

Pure: stdlib and ``feeds.domain``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moralbank.errors import Problem
from moralbank.feeds.domain import BAD_JSON, DECODER, RawRow, json_row, read_jsonl_lines

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_LEADING = re.compile(r"\ufeff*\s*")  # a BOM, then any white space
_TRAILING = re.compile(r"\s*")
_LINE_END = re.compile(rb"\r\n|\r|\n")  # where bytes.splitlines() splits
_NON_BLANK_LINE = re.compile(rb"\S[^\r\n]*")  # from a line's first non-blank byte to its end
_SPAN = json.JSONDecoder(parse_int=str)  # where a value ends, whatever the length of its integers


class NotOneValue(Exception):
    """The text is not exactly one JSON value: JSON Lines, or not JSON at all."""


class TooManyRecords(Exception):
    """More records than the limit."""


@dataclass(frozen=True)
class Unreadable:
    """A record the JSON parser refused on its own (the text around it is JSON): it is quarantined."""

    reason: str


@dataclass
class Body:
    """A pushed body or pulled page as read: ``records`` parsed from ``{"records": [...]}``, or None
    for JSON Lines (read from ``raw`` line by line)."""

    raw: bytes
    records: list[Any] | None

    def rows(self, *, file: str) -> Iterator[RawRow]:
        """The raw rows of the body, to be read once: a record is let go as soon as its row is made
        (the parsed records are the biggest thing a body holds)."""
        if self.records is None:
            yield from read_jsonl_lines(lines(self.raw), file=file)
            return
        records = self.records
        for i in range(len(records)):
            record, records[i] = records[i], None
            yield _record_row(record, n=i + 1, file=file)
        self.records = []


def _record_row(record: Any, *, n: int, file: str) -> RawRow:
    """The row of the ``n``-th record of an object's ``records`` (row and line ``n``)."""
    if isinstance(record, Unreadable):
        return RawRow(n, n, {}, Problem(record.reason, row=n, line=n, file=file, field=BAD_JSON))
    return json_row(record, row=n, line=n, file=file)


def lines(raw: bytes) -> Iterator[bytes]:
    """The lines of ``raw`` as ``raw.splitlines()`` gives them, one at a time."""
    start = 0
    for end in _LINE_END.finditer(raw):
        yield raw[start : end.start()]
        start = end.end()
    if start < len(raw):
        yield raw[start:]


def count_lines(raw: bytes, *, stop: int) -> int:
    """The number of non-blank lines of ``raw`` (the rows of JSON Lines), counting no further than
    ``stop``."""
    n = 0
    for _ in _NON_BLANK_LINE.finditer(raw):
        n += 1
        if n >= stop:
            break
    return n


def is_blank(text: str) -> bool:
    """Whether ``text`` holds nothing but a BOM and white space."""
    return _LEADING.fullmatch(text) is not None


def parse(text: str, *, limit: int | None = None) -> Any:
    """The one JSON value ``text`` holds (white space and a BOM around it allowed). An object's
    ``records`` list is parsed record by record: a record the parser refuses on its own is an
    ``Unreadable``, and more than ``limit`` records raise ``TooManyRecords`` before the rest is read.
    Raises ``NotOneValue`` when ``text`` is not one JSON value; ``RecursionError`` when it nests
    deeper than the parser goes."""
    pos = _LEADING.match(text).end()  # type: ignore[union-attr]  # matches any text
    if text.startswith("{", pos):
        value, pos = _object(text, pos, limit)
    else:
        value, pos = _value(text, pos)
    if _TRAILING.match(text, pos).end() != len(text):  # type: ignore[union-attr]
        raise NotOneValue
    return value


def _space(text: str, pos: int) -> int:
    return _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]  # matches any text


def _value(text: str, pos: int) -> tuple[Any, int]:
    """The JSON value at ``pos`` and where it ends; an ``Unreadable`` for one holding an integer of more
    digits than Python converts (a ValueError of its own, not a JSONDecodeError)."""
    try:
        return DECODER.raw_decode(text, pos)  # a record naming a key twice is marked (json_row refuses it)
    except json.JSONDecodeError:
        raise NotOneValue from None
    except ValueError as e:
        try:
            end = _SPAN.raw_decode(text, pos)[1]
        except json.JSONDecodeError:
            raise NotOneValue from None
        return Unreadable(f"not JSON: {e}"), end


def _object(text: str, pos: int, limit: int | None) -> tuple[dict[str, Any], int]:
    """The object at ``pos`` (``text[pos] == "{"``), its ``records`` read by ``_records``."""
    members: dict[str, Any] = {}
    pos = _space(text, pos + 1)
    if text.startswith("}", pos):
        return members, pos + 1
    while True:
        if not text.startswith('"', pos):
            raise NotOneValue
        key, pos = _value(text, pos)
        pos = _space(text, pos)
        if not text.startswith(":", pos):
            raise NotOneValue
        pos = _space(text, pos + 1)
        if key == "records" and text.startswith("[", pos):
            members[key], pos = _records(text, pos, limit)
        else:
            members[key], pos = _value(text, pos)
        pos = _space(text, pos)
        if text.startswith(",", pos):
            pos = _space(text, pos + 1)
        elif text.startswith("}", pos):
            return members, pos + 1
        else:
            raise NotOneValue


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _end_of_nested(text: str, pos: int) -> int:
    """Where the array or object at ``pos`` ends, found without recursion (brackets counted outside
    strings); ``NotOneValue`` if it never closes."""
    depth = 0
    while pos < len(text):
        c = text[pos]
        if c == '"':
            m = _STRING.match(text, pos)
            if m is None:
                raise NotOneValue
            pos = m.end()
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise NotOneValue


def _records(text: str, pos: int, limit: int | None) -> tuple[list[Any], int]:
    """The list at ``pos`` (``text[pos] == "["``), element by element. The records share their keys'
    strings, as one parse of the whole list would (40,000 records of 5 fields: 11 MB less)."""
    records: list[Any] = []
    keys: dict[str, str] = {}
    pos = _space(text, pos + 1)
    if text.startswith("]", pos):
        return records, pos + 1
    while True:
        if limit is not None and len(records) == limit:
            raise TooManyRecords
        try:
            record, pos = _value(text, pos)
        except RecursionError:  # deeper than the parser goes: that record alone is refused
            record, pos = Unreadable("not JSON: nested too deeply"), _end_of_nested(text, pos)
        if type(record) is dict:  # not one marked as naming a key twice (domain.json_row refuses it)
            record = {keys.setdefault(k, k): v for k, v in record.items()}
        records.append(record)
        pos = _space(text, pos)
        if text.startswith(",", pos):
            pos = _space(text, pos + 1)
        elif text.startswith("]", pos):
            return records, pos + 1
        else:
            raise NotOneValue
