"""Ledger entries and their canonical encoding (the Merkle leaf). Pure: stdlib only.

An entry is one posting of points to one resident. Entries are never changed: a correction or an
objection is a new entry whose ``reverses_seq`` names the entry it reverses.

The canonical encoding (format version 1, documented in docs/ledger.md) is the RFC 8785 (JCS)
serialisation of a JSON object with exactly the keys below, UTF-8 encoded. It carries the
pseudonymous resident id only, never a name or ID number, so leaves and proofs can be handed out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import count
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # C escaper, == JCS strings
from typing import NamedTuple

from moralbank.errors import InvalidInput, Problem

LEAF_VERSION = 1

SOURCES = (
    "evaluation",
    "department",
    "correction",
    "objection",
    "repair",
    "courtesy",
    "credit",
    "adjustment",
)
SEVERITIES = ("minor", "general", "serious")

# Identifiers that go into the leaf without escaping must match these (no quotes, backslashes or
# control characters), so the fast encoder below stays canonical.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}")
_RESIDENT = re.compile(r"[A-Z0-9]{4,32}")
MAX_POINTS = 1_000_000
MAX_TEXT = 2000

# JCS sorts object keys by code point; the template lists them already sorted.
LEAF_KEYS = (
    "actor",
    "aspect",
    "deed_date",
    "evidence",
    "expires_on",
    "indicator",
    "points",
    "policy_version",
    "reason",
    "recorded_at",
    "resident_id",
    "reverses_seq",
    "seq",
    "severity",
    "source",
    "source_ref",
    "v",
)
_TEMPLATE = (
    '{"actor":%s,"aspect":"%s","deed_date":"%s","evidence":%s,"expires_on":%s,"indicator":"%s",'
    '"points":%d,"policy_version":"%s","reason":%s,"recorded_at":"%s","resident_id":"%s",'
    '"reverses_seq":%s,"seq":%d,"severity":%s,"source":"%s","source_ref":%s,"v":1}'
)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What a caller gives to ``ledger.service.post``; the ledger adds ``seq`` and ``recorded_at``."""

    resident_id: str
    indicator: str
    aspect: str
    points: int
    deed_date: date
    source: str
    actor: str
    policy_version: str
    reason: str
    source_ref: str | None = None
    evidence: tuple[str, ...] = ()
    reverses_seq: int | None = None
    severity: str | None = None
    expires_on: date | None = None


class Entry(NamedTuple):
    """A posted entry, as stored (``seq`` counts from 1; its Merkle leaf index is ``seq - 1``).

    A named tuple rather than a dataclass: bulk posting builds millions of them.
    """

    seq: int
    resident_id: str
    indicator: str
    aspect: str
    points: int
    deed_date: date
    recorded_at: datetime
    source: str
    actor: str
    policy_version: str
    reason: str
    source_ref: str | None = None
    evidence: tuple[str, ...] = ()
    reverses_seq: int | None = None
    severity: str | None = None
    expires_on: date | None = None

    @property
    def leaf_index(self) -> int:
        return self.seq - 1

    def leaf(self) -> bytes:
        """The canonical bytes of this entry (its Merkle leaf)."""
        return encode_leaf(self)

    def as_dict(self) -> dict:
        """The entry as the JSON object of its leaf (the same names and value formats)."""
        return json.loads(encode_leaf(self))


# -- validation ---------------------------------------------------------------------------------
def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")  # refuses lone surrogates, which have no UTF-8 form
    except UnicodeEncodeError:
        return False
    return len(value) <= MAX_TEXT


def problems_of(e: NewEntry, row: int | None = None) -> list[Problem]:
    """Everything wrong with one new entry (empty when it may be posted)."""
    out: list[Problem] = []

    def bad(reason: str, name: str) -> None:
        out.append(Problem(reason, field=name, row=row))

    if not isinstance(e.resident_id, str) or not _RESIDENT.fullmatch(e.resident_id):
        bad("not a pseudonymous resident id", "resident_id")
    for name in ("indicator", "aspect", "policy_version"):
        v = getattr(e, name)
        if not isinstance(v, str) or not _CODE.fullmatch(v):
            bad("must be a code of letters, digits and _.:/- (1-64 characters)", name)
    if e.source not in SOURCES:
        bad(f"must be one of {', '.join(SOURCES)}", "source")
    if type(e.points) is not int or abs(e.points) > MAX_POINTS:
        bad(f"must be a whole number of points between -{MAX_POINTS} and {MAX_POINTS}", "points")
    if type(e.deed_date) is not date:
        bad("must be a date", "deed_date")
    if not isinstance(e.actor, str) or not e.actor or not _text_ok(e.actor) or len(e.actor) > 128:
        bad("must name who posts it (1-128 characters)", "actor")
    if not isinstance(e.reason, str) or not e.reason.strip() or not _text_ok(e.reason):
        bad(f"must say why, in words (1-{MAX_TEXT} characters)", "reason")
    if e.source_ref is not None and (not isinstance(e.source_ref, str) or not _text_ok(e.source_ref)):
        bad("must be text", "source_ref")
    if not isinstance(e.evidence, (tuple, list)) or not all(
        isinstance(x, str) and _text_ok(x) for x in e.evidence
    ):
        bad("must be a list of reference strings", "evidence")
    if e.reverses_seq is not None and (type(e.reverses_seq) is not int or e.reverses_seq < 1):
        bad("must be the seq of an earlier entry", "reverses_seq")
    if e.reverses_seq is None and e.source == "correction":
        bad("a correction names the entry it reverses", "reverses_seq")
    if e.severity is not None and e.severity not in SEVERITIES:
        bad(f"must be one of {', '.join(SEVERITIES)}", "severity")
    if e.expires_on is not None and type(e.expires_on) is not date:
        bad("must be a date", "expires_on")
    return out


def _batch_ok(entries: list[NewEntry]) -> bool:
    """A quick check of a whole batch: codes repeat, so each distinct value is checked once."""
    try:
        codes = (
            {e.indicator for e in entries} | {e.aspect for e in entries} | {e.policy_version for e in entries}
        )
        if not all(isinstance(c, str) and _CODE.fullmatch(c) for c in codes):
            return False
        if not {e.source for e in entries} <= set(SOURCES):
            return False
        if not {e.severity for e in entries} <= {None, *SEVERITIES}:
            return False
        if not all(type(p) is int and -MAX_POINTS <= p <= MAX_POINTS for p in {e.points for e in entries}):
            return False
        if not all(type(d) is date for d in {e.deed_date for e in entries}):
            return False
        if not all(d is None or type(d) is date for d in {e.expires_on for e in entries}):
            return False
        if not all(isinstance(r, str) and _RESIDENT.fullmatch(r) for r in {e.resident_id for e in entries}):
            return False
        if not all(
            isinstance(a, str) and a and len(a) <= 128 and _text_ok(a) for a in {e.actor for e in entries}
        ):
            return False
        if not all(isinstance(r, str) and r.strip() and _text_ok(r) for r in {e.reason for e in entries}):
            return False
        for e in entries:
            if e.source_ref is not None and not (isinstance(e.source_ref, str) and _text_ok(e.source_ref)):
                return False
            if e.evidence and not (
                isinstance(e.evidence, (tuple, list))
                and all(isinstance(x, str) and _text_ok(x) for x in e.evidence)
            ):
                return False
            if e.reverses_seq is not None and not (type(e.reverses_seq) is int and e.reverses_seq >= 1):
                return False
            if e.reverses_seq is None and e.source == "correction":
                return False
        return True
    except TypeError:  # an unhashable value where a code belongs
        return False


def check(entries: list[NewEntry]) -> None:
    """Raise ``InvalidInput`` listing every problem of a batch (row numbers count from 1)."""
    if _batch_ok(entries):
        return
    problems: list[Problem] = []
    for i, e in enumerate(entries, 1):
        problems.extend(problems_of(e, row=i if len(entries) > 1 else None))
    if problems:
        raise InvalidInput(problems)


# -- canonical encoding ---------------------------------------------------------------------------
def format_instant(at: datetime) -> str:
    """``recorded_at`` in the leaf: UTC, microseconds, a ``Z``: ``2026-11-25T02:00:00.000000Z``."""
    if at.tzinfo is None:
        raise ValueError("recorded_at must be aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Memo(dict):
    """Formats each distinct value once per batch (dates, times, texts and evidence lists repeat a lot);
    ``Memo(fmt)[value]`` is ``fmt(value)``, computed once."""

    def __init__(self, fmt):  # noqa: ANN001 - a one-argument function
        super().__init__()
        self.fmt = fmt

    def __missing__(self, key):  # noqa: ANN001, ANN204
        value = self[key] = self.fmt(key)
        return value


def _quoted_or_null(v: str | None) -> bytes:
    return b"null" if v is None else encode_basestring(v).encode()


def _quoted(v: str) -> bytes:
    return encode_basestring(v).encode()


def _code(v: str) -> bytes:
    return v.encode()


def _quoted_code_or_null(v: str | None) -> bytes:
    return b"null" if v is None else b'"' + v.encode() + b'"'


def _day(d: date) -> bytes:
    return d.isoformat().encode()


def _day_or_null(d: date | None) -> bytes:
    return b"null" if d is None else b'"' + d.isoformat().encode() + b'"'


def _instant(at: datetime) -> bytes:
    return format_instant(at).encode()


def _int_or_null(v: int | None) -> bytes:
    return b"null" if v is None else b"%d" % int(v)


def _evidence(ev: tuple[str, ...]) -> bytes:
    return ("[" + ",".join(encode_basestring(x) for x in ev) + "]").encode()


_BYTES_TEMPLATE = _TEMPLATE.encode()


def encode_leaves(entries: list[Entry]) -> list[bytes]:
    """The canonical bytes (Merkle leaves, format version 1) of many entries in one pass.

    The codes were validated (``check``) so they need no escaping; free text is escaped exactly as
    JCS does (``json.encoder.encode_basestring``: quote, backslash and the short escapes b f n r t
    escaped, other control characters as u00xx escapes, everything else literal). Every distinct
    value is formatted and UTF-8 encoded once per call (``Memo``); each leaf is one ``bytes``
    formatting of the template (entries are read by position: ``Entry`` field order).
    """
    text = Memo(_quoted)
    opt_text = Memo(_quoted_or_null)
    code = Memo(_code)
    opt_code = Memo(_quoted_code_or_null)
    day = Memo(_day)
    opt_day = Memo(_day_or_null)
    instant = Memo(_instant)
    evidence = Memo(_evidence)
    opt_int = Memo(_int_or_null)
    fmt = _BYTES_TEMPLATE
    # e: 0 seq, 1 resident_id, 2 indicator, 3 aspect, 4 points, 5 deed_date, 6 recorded_at, 7 source,
    # 8 actor, 9 policy_version, 10 reason, 11 source_ref, 12 evidence, 13 reverses_seq, 14 severity,
    # 15 expires_on
    return [
        fmt
        % (
            text[e[8]],
            code[e[3]],
            day[e[5]],
            evidence[e[12]] if type(e[12]) is tuple else _evidence(e[12]),
            opt_day[e[15]],
            code[e[2]],
            e[4],
            code[e[9]],
            text[e[10]],
            instant[e[6]],
            code[e[1]],
            opt_int[e[13]],
            e[0],
            opt_code[e[14]],
            code[e[7]],
            opt_text[e[11]],
        )
        for e in entries
    ]


def encode_leaf(e: Entry) -> bytes:
    """The canonical bytes of an entry: its Merkle leaf (format version 1)."""
    return encode_leaves([e])[0]


def decode_leaf(leaf: bytes) -> Entry:
    """Parse a leaf back into an entry; refuses anything that is not exactly canonical."""
    try:
        obj = json.loads(leaf.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidInput(f"leaf is not UTF-8 JSON: {e}") from None
    if not isinstance(obj, dict) or tuple(sorted(obj)) != LEAF_KEYS:
        raise InvalidInput("leaf does not have exactly the version-1 keys")
    if obj["v"] != LEAF_VERSION:
        raise InvalidInput(f"unknown leaf version {obj['v']!r}")
    try:
        entry = Entry(
            seq=obj["seq"],
            resident_id=obj["resident_id"],
            indicator=obj["indicator"],
            aspect=obj["aspect"],
            points=obj["points"],
            deed_date=date.fromisoformat(obj["deed_date"]),
            recorded_at=datetime.strptime(obj["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
            source=obj["source"],
            actor=obj["actor"],
            policy_version=obj["policy_version"],
            reason=obj["reason"],
            source_ref=obj["source_ref"],
            evidence=tuple(obj["evidence"]),
            reverses_seq=obj["reverses_seq"],
            severity=obj["severity"],
            expires_on=None if obj["expires_on"] is None else date.fromisoformat(obj["expires_on"]),
        )
        same = encode_leaf(entry) == leaf
    except (TypeError, ValueError, KeyError) as e:
        raise InvalidInput(f"leaf fields are malformed: {e}") from None
    if not same:
        raise InvalidInput("leaf is not in canonical form")
    return entry


def stamp(entries: list[NewEntry], *, first_seq: int, recorded_at: datetime) -> list[Entry]:
    """Give new entries their sequence numbers and recording time."""
    new = tuple.__new__  # the named tuple's own __new__ is a Python function of 16 arguments
    return [
        new(
            Entry,
            (
                seq,
                e.resident_id,
                e.indicator,
                e.aspect,
                e.points,
                e.deed_date,
                recorded_at,
                e.source,
                e.actor,
                e.policy_version,
                e.reason,
                e.source_ref,
                e.evidence if type(e.evidence) is tuple else tuple(e.evidence),
                e.reverses_seq,
                e.severity,
                e.expires_on,
            ),
        )
        for seq, e in zip(count(first_seq), entries)
    ]
