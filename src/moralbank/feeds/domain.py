"""Data interfaces: their declared shape, reading department files, validating and mapping records.

Pure: stdlib, python-stdnum and openpyxl (file formats), ``moralbank.kernel`` and ``moralbank.errors``.
An interface is configuration (a YAML file under ``feeds/interfaces/``), read by
:func:`moralbank.feeds.source.load_interface` and checked here by :func:`parse_interface`; nothing here
touches the database.

The path of one department row::

    read_rows(path)            -> RawRow(row, line, values: dict[str, str | JSON value], problem)
    validate(interface, raw)   -> Record (typed values) | list[Problem]
    apply_rules(interface, r)  -> Mapping(indicator, points) | None
"""

from __future__ import annotations

import ast
import codecs
import csv
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from moralbank.errors import InvalidInput, Problem

FIELD_TYPES = ("str", "int", "decimal", "date", "bool", "code", "id_number", "uscc")
SUBJECTS = ("person", "organisation")
TRANSPORTS = ("file", "push", "pull")
FORMATS = ("csv", "xlsx", "jsonl")
INTERFACES_DIR = Path(__file__).parent / "interfaces"

# Reasons a row is quarantined (stable codes: the quarantine page and API filter on them).
BAD_ID_NUMBER = "bad_id_number"
BAD_USCC = "bad_uscc"
UNKNOWN_PERSON = "unknown_person"
BAD_DATE = "bad_date"
UNKNOWN_CODE = "unknown_code"
WRONG_TYPE = "wrong_type"
MISSING = "missing_value"
RAGGED = "ragged_row"
BAD_ENCODING = "bad_encoding"
BAD_JSON = "bad_json"
BAD_CSV = "bad_csv"  # broken quoting, or a cell longer than the csv module reads
OUT_OF_RANGE = "out_of_range"
TOO_LONG = "too_long"
STRUCTURAL = (RAGGED, BAD_ENCODING, BAD_JSON, BAD_CSV)
# A kind of problem that shares its reason code: text with a control character is bad_encoding of its field
CONTROL = "control_character"
_REASON = {CONTROL: BAD_ENCODING}
REASONS = (
    BAD_ID_NUMBER,
    BAD_USCC,
    UNKNOWN_PERSON,
    BAD_DATE,
    UNKNOWN_CODE,
    WRONG_TYPE,
    MISSING,
    RAGGED,
    BAD_ENCODING,
    BAD_JSON,
    BAD_CSV,
    OUT_OF_RANGE,
    TOO_LONG,
)

# Bounds every value is checked against, whatever the interface declares: a number's magnitude (a
# quantity or an amount in fen stays far below it; beyond it Decimal arithmetic fails), the length of
# a record id (the ``feed_record.source_record_id`` column) and of any other text, and how deep a JSON
# value may nest before its line is refused unread.
MAX_NUMBER = Decimal(10**15)
MAX_RECORD_ID = 128
MAX_TEXT = 2000
MAX_JSON_DEPTH = 4


# -- the interface, as declared ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = True
    codes: tuple[str, ...] = ()
    label_zh: str = ""
    label_en: str = ""
    min: Decimal | None = None  # numeric fields: the least value taken (``min: 0`` for quantities)
    max: Decimal | None = None


@dataclass(frozen=True)
class Rule:
    """``when`` every listed field has one of the listed values, the record earns ``points`` on
    ``indicator``; with ``per`` set, ``points`` is per whole ``per`` units of ``per_field`` (capped at
    ``max_points``). The first matching rule wins; a record no rule matches is kept but earns nothing."""

    indicator: str
    points: int
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    per_field: str | None = None
    per: int | None = None
    max_points: int | None = None
    note_zh: str = ""

    def matches(self, values: dict[str, Any]) -> bool:
        return all(_as_code(values.get(f)) in allowed for f, allowed in self.when)

    def points_for(self, values: dict[str, Any]) -> int:
        if self.per_field is None or not self.per:
            return self.points
        units = int(Decimal(str(values.get(self.per_field) or 0)) // self.per)
        points = self.points * units
        if self.max_points is not None:
            points = max(-abs(self.max_points), min(abs(self.max_points), points))
        return points


@dataclass(frozen=True)
class Interface:
    name: str
    name_zh: str
    name_en: str
    department_code: str
    department_zh: str
    department_en: str
    subject: str  # person | organisation
    identifier: str  # the field naming the person (GB 11643) or organisation (GB 32100)
    person_field: str  # the GB 11643 field whose resident the points go to
    source_id: str  # the department's record id
    date_field: str  # when the deed happened
    consent_required: bool
    transports: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    rules: tuple[Rule, ...]
    pull_url: str | None = None
    description_zh: str = ""

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def indicators(self) -> set[str]:
        return {r.indicator for r in self.rules}

    def schema(self) -> dict[str, Any]:
        """The public description behind ``moralbank feeds schema NAME --json``."""
        return {
            "name": self.name,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "department": {
                "code": self.department_code,
                "name_zh": self.department_zh,
                "name_en": self.department_en,
            },
            "subject": self.subject,
            "identifier": self.identifier,
            "identifier_standard": "GB 11643" if self.subject == "person" else "GB 32100",
            "person_field": self.person_field,
            "source_id": self.source_id,
            "date_field": self.date_field,
            "consent_required": self.consent_required,
            "transports": list(self.transports),
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "required": f.required,
                    **({"codes": list(f.codes)} if f.codes else {}),
                    **({"min": _number(f.min)} if f.min is not None else {}),
                    **({"max": _number(f.max)} if f.max is not None else {}),
                    "label_zh": f.label_zh,
                    "label_en": f.label_en,
                }
                for f in self.fields
            ],
            "rules": [
                {
                    "indicator": r.indicator,
                    "points": r.points,
                    "when": {k: list(v) for k, v in r.when},
                    **(
                        {"per_field": r.per_field, "per": r.per, "max_points": r.max_points}
                        if r.per_field
                        else {}
                    ),
                }
                for r in self.rules
            ],
        }


def _number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _as_code(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def parse_interface(data: dict[str, Any], *, source: str = "<interface>") -> Interface:
    """Build and check an interface from its YAML mapping; every problem is reported at once."""
    problems: list[Problem] = []

    def need(key: str, where: dict[str, Any] = data) -> Any:
        if key not in where or where[key] in (None, ""):
            problems.append(Problem(f"'{key}' is required", field=key, file=source))
            return None
        return where[key]

    name = need("name")
    if name and not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", str(name)):
        problems.append(Problem("name: lower-case letters, digits and _", field="name", file=source))
    dept = need("department") or {}
    fields: list[FieldSpec] = []
    for i, f in enumerate(need("fields") or []):
        if not isinstance(f, dict) or "name" not in f or "type" not in f:
            problems.append(Problem(f"fields[{i}] needs name and type", field="fields", file=source))
            continue
        if f["type"] not in FIELD_TYPES:
            problems.append(
                Problem(
                    f"fields[{i}]: unknown type {f['type']!r} (one of {', '.join(FIELD_TYPES)})",
                    field=f["name"],
                    file=source,
                )
            )
        codes = tuple(str(c) for c in f.get("codes") or ())
        if f["type"] == "code" and not codes:
            problems.append(Problem("a code field lists its codes", field=f["name"], file=source))
        bounds = {k: _bound(f, k, i, problems, source) for k in ("min", "max")}
        fields.append(
            FieldSpec(
                str(f["name"]),
                str(f["type"]),
                bool(f.get("required", True)),
                codes,
                str(f.get("label_zh", "")),
                str(f.get("label_en", "")),
                **bounds,
            )
        )
    by_name = {f.name: f for f in fields}
    if len(by_name) != len(fields):
        problems.append(Problem("field names must be unique", field="fields", file=source))
    subject = data.get("subject", "person")
    if subject not in SUBJECTS:
        problems.append(Problem(f"subject is one of {SUBJECTS}", field="subject", file=source))
    identifier = need("identifier")
    person_field = data.get("person_field") or identifier
    want_type = {"person": "id_number", "organisation": "uscc"}.get(subject)
    for key, value, typ in (
        ("identifier", identifier, want_type),
        ("person_field", person_field, "id_number"),
        ("source_id", need("source_id"), None),
        ("date_field", need("date_field"), "date"),
    ):
        if value is None:
            continue
        spec = by_name.get(value)
        if spec is None:
            problems.append(
                Problem(f"{key} names field {value!r}, which is not declared", field=key, file=source)
            )
        elif typ and spec.type != typ:
            problems.append(Problem(f"{key} {value!r} must be of type {typ}", field=key, file=source))
        elif not spec.required:
            problems.append(Problem(f"{key} {value!r} must be required", field=key, file=source))
    rules: list[Rule] = []
    for i, r in enumerate(need("rules") or []):
        if not isinstance(r, dict) or "indicator" not in r or "points" not in r:
            problems.append(Problem(f"rules[{i}] needs indicator and points", field="rules", file=source))
            continue
        when = []
        for f, allowed in (r.get("when") or {}).items():
            allowed = tuple(_as_code(a) for a in (allowed if isinstance(allowed, list) else [allowed]))
            spec = by_name.get(f)
            if spec is None:
                problems.append(
                    Problem(f"rules[{i}].when names unknown field {f!r}", field="rules", file=source)
                )
            elif spec.codes and not set(allowed) <= set(spec.codes):
                problems.append(
                    Problem(
                        f"rules[{i}].when: {sorted(set(allowed) - set(spec.codes))} not among "
                        f"the codes of {f!r}",
                        field="rules",
                        file=source,
                    )
                )
            when.append((str(f), allowed))
        per_field = r.get("per_field")
        if per_field is not None and (
            per_field not in by_name or by_name[per_field].type not in ("int", "decimal")
        ):
            problems.append(
                Problem(f"rules[{i}].per_field must be a numeric field", field="rules", file=source)
            )
        if not isinstance(r["points"], int) or r["points"] == 0:
            problems.append(
                Problem(f"rules[{i}].points is a non-zero whole number", field="rules", file=source)
            )
        rules.append(
            Rule(
                str(r["indicator"]),
                int(r["points"]) if isinstance(r["points"], int) else 0,
                tuple(when),
                per_field,
                r.get("per"),
                r.get("max_points"),
                str(r.get("note_zh", "")),
            )
        )
    transports = tuple(data.get("transports") or ("file",))
    for t in transports:
        if t not in TRANSPORTS:
            problems.append(Problem(f"unknown transport {t!r}", field="transports", file=source))
    pull_url = (data.get("pull") or {}).get("url") if isinstance(data.get("pull"), dict) else None
    if "pull" in transports and not pull_url:
        problems.append(Problem("a pulled interface names pull.url", field="pull", file=source))
    if "consent_required" not in data:
        problems.append(
            Problem("'consent_required' is required (true or false)", field="consent_required", file=source)
        )
    for key in ("name_zh", "name_en"):
        need(key)
    for key in ("code", "name_zh", "name_en"):
        if isinstance(dept, dict):
            need(key, dept)
    if problems:
        raise InvalidInput(problems)
    return Interface(
        name=str(name),
        name_zh=str(data["name_zh"]),
        name_en=str(data["name_en"]),
        department_code=str(dept["code"]),
        department_zh=str(dept["name_zh"]),
        department_en=str(dept["name_en"]),
        subject=str(subject),
        identifier=str(identifier),
        person_field=str(person_field),
        source_id=str(data["source_id"]),
        date_field=str(data["date_field"]),
        consent_required=bool(data["consent_required"]),
        transports=transports,
        fields=tuple(fields),
        rules=tuple(rules),
        pull_url=pull_url,
        description_zh=str(data.get("description_zh", "")),
    )


def _bound(f: dict[str, Any], key: str, i: int, problems: list[Problem], source: str) -> Decimal | None:
    """A field's declared ``min`` or ``max``: a number, on a numeric field only."""
    value = f.get(key)
    if value is None:
        return None
    if f["type"] not in ("int", "decimal") or isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(
            Problem(
                f"fields[{i}].{key} is a number, on an int or decimal field", field=f["name"], file=source
            )
        )
        return None
    return Decimal(str(value))


def check_against_policy(iface: Interface, indicators: dict[str, Any]) -> list[Problem]:
    """Indicator codes of the rules that the policy does not have (``indicators``: code -> anything)."""
    return [
        Problem(f"indicator {r.indicator!r} is not in the policy", field="rules", file=iface.name)
        for r in iface.rules
        if r.indicator not in indicators
    ]


# -- reading files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    """One row as read: ``row`` counts data rows from 1; ``values`` are text (None or left out: empty),
    or for JSON the record's values with their JSON types."""

    row: int
    line: int | None
    values: dict[str, Any]
    problem: Problem | None = None


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030``, from the first bytes of a file.

    Decided line by line, on the lines with non-ASCII bytes: UTF-8 when at least as many of them are
    valid UTF-8 as not (and when there are none), else GB18030. Chinese text in GB18030 is almost never
    valid UTF-8, while UTF-8 text usually decodes as GB18030 too — into other characters — so counting
    the bytes each can decode would favour GB18030: a UTF-8 file with one row typed on an old GBK
    system would be read whole as GB18030 and every good row stored garbled. Here that row is the
    one quarantined as ``bad_encoding``. A character cut off at the end of ``head`` does not count."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    valid = invalid = 0
    for line in head.split(b"\n"):
        if line.isascii():
            continue
        try:
            codecs.getincrementaldecoder("utf-8")().decode(line, final=False)
        except UnicodeDecodeError:
            invalid += 1
        else:
            valid += 1
    return "utf-8" if valid >= invalid else "gb18030"


def file_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("csv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    raise InvalidInput(Problem(f"unknown file type {suffix!r}: csv, xlsx or jsonl", file=Path(path).name))


_SURROGATE = re.compile("[\udc80-\udcff]")


def _has_surrogate(s: str) -> bool:
    return _SURROGATE.search(s) is not None


def read_csv(path: Path, *, fields: Iterable[str] | None = None) -> Iterator[RawRow]:
    """Stream a CSV file. A row that cannot be read — bytes the file's encoding cannot decode, cells out
    of line with the header, broken quoting, a cell longer than the csv module takes — is reported as its
    row, not fatal, and the rows after it are read (see ``_unreadable``)."""
    with open(path, "rb") as fb:
        encoding = detect_encoding(fb.read(65536))
    with (
        open(path, encoding=encoding, errors="surrogateescape", newline="") as f,
        closing(_Lines(path, encoding)) as again,
    ):
        # strict: '"abc"def' is an error, not the cell 'abcdef', and so is a quote still open at the end of
        # the file, not one last cell holding every line after the quote
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as e:
            problem, _ = _unreadable(e, again.get(1, reader.line_num), first=1, row=None, file=path.name)
            raise InvalidInput(problem) from None
        if header is None:
            raise InvalidInput(Problem("the file is empty: no header row", file=path.name))
        # a name's undecodable bytes as U+FFFD: every row's values are keyed by it, and a quarantined
        # row's are kept as UTF-8 text (with the bytes as they were, storing it failed the batch)
        header = [_printable(h) or "" for h in header]
        _check_header(header, fields, path.name)
        n = len(header)
        i, base, line = 0, 0, reader.line_num  # line: the last line of the last row read
        while True:
            start = i + 1
            try:
                for i, cells in enumerate(reader, start=start):
                    line = base + reader.line_num
                    if not cells:
                        continue
                    if len(cells) != n:  # keep what lines up with the header, for staff to fix
                        yield RawRow(
                            i,
                            line,
                            _shown_cells(header, cells),
                            Problem(
                                f"{len(cells)} cells where the header has {n}",
                                row=i,
                                line=line,
                                file=path.name,
                                field=RAGGED,
                            ),
                        )
                        continue
                    # one search over the whole row (in C); the cell is looked for only when there is one
                    bad = (
                        next((h for h, c in zip(header, cells, strict=True) if _has_surrogate(c)), None)
                        if _SURROGATE.search("".join(cells))
                        else None
                    )
                    if bad is not None:
                        yield RawRow(
                            i,
                            line,
                            _shown_cells(header, cells),
                            Problem(
                                f"bytes that are not {encoding}", row=i, line=line, file=path.name, field=bad
                            ),
                        )
                        continue
                    values = {h: (c.strip() or None) for h, c in zip(header, cells, strict=True)}
                    yield RawRow(i, line, values)
            except csv.Error as e:
                error = e
            else:
                return
            # a row the csv module refused, from the line after the last row read to where it stopped
            i += 1
            first, last = line + 1, base + reader.line_num
            lines = again.get(first, last)
            problem, resume = _unreadable(error, lines, first=first, row=i, file=path.name)
            yield RawRow(i, first, _shown_cells(header, _loose_cells(lines[: resume - first])), problem)
            line = resume - 1
            if resume <= last:  # the lines a quote swallowed are read again, as the rows they are
                base = line
                reader = csv.reader(chain(lines[resume - first :], f), strict=True)


def _unreadable(
    error: csv.Error, lines: list[str], *, first: int, row: int | None, file: str
) -> tuple[Problem, int]:
    """Why the csv module refused a row (its ``lines``, from line ``first`` on) and the line to read on
    from: the one after the line where the quoted cell it stopped in opened — a quote left open swallows
    the lines after it, which are rows of their own — else the one after the row."""
    limit = csv.field_size_limit()
    trouble, opened = _quote_trouble(lines, limit)
    quote = None if opened is None else first + opened
    resume = first + len(lines) if quote is None else quote + 1

    def refused(reason: str) -> tuple[Problem, int]:
        return Problem(reason, row=row, line=first, file=file, field=BAD_CSV), resume

    if trouble == "long" and quote is None:
        return refused(f"a cell longer than {limit:,} characters")
    if trouble == "long":
        return refused(f"a quote opened on line {quote} is not closed within {limit:,} characters")
    if trouble == "text":
        return refused(f"the quoted cell opened on line {quote} has text after its closing quote")
    if trouble == "open":
        return refused(f"a quote opened on line {quote} is never closed")
    return refused(f"not CSV: {error}")


def _quote_trouble(lines: list[str], limit: int) -> tuple[str | None, int | None]:
    """Where the csv module (strict, excel dialect) stopped in a row it refused, found by reading the
    row's ``lines`` as it does: ``text`` after a closing quote, a cell ``long``er than ``limit``, a quote
    still ``open`` at the end (or None: none of these); and the index of the line where the quoted cell
    it stopped in opened (None: it stopped outside one)."""
    state, opened, size = "start", 0, 0
    for k, text in enumerate(lines):
        for ch in text:
            if state == "quoted":
                if ch == '"':
                    state = "closed"
                    continue
            elif ch == '"' and state == "start":
                state, opened = "quoted", k
                continue
            elif ch == '"' and state == "closed":  # a quote written twice: one quote in the cell
                state = "quoted"
            elif ch in ",\r\n":
                state, size = "start", 0
                continue
            elif state == "closed":
                return "text", opened
            else:
                state = "field"  # a quote inside an unquoted cell is text
            size += 1
            if size > limit:
                return "long", opened if state == "quoted" else None
    return ("open", opened) if state == "quoted" else (None, None)


def _loose_cells(lines: list[str]) -> list[str]:
    """The cells of a refused row as the lenient csv reader makes them out, for staff to see and fix;
    none when even it cannot (a cell over the limit)."""
    try:
        return next(csv.reader(lines), [])
    except csv.Error:
        return []


class _Lines:
    """Lines of a file by number, read through a second handle: only a row the csv module refused needs
    its text again, so good rows cost nothing. Asked in order (each request starting after the last one
    started), it keeps its last answer, part of which the rows read on from there may ask for again."""

    def __init__(self, path: Path, encoding: str) -> None:
        self._path, self._encoding = path, encoding
        self._file: IO[str] | None = None
        self._first = 1
        self._kept: list[str] = []  # the last answer, from line _first on; the handle reads on after it

    def get(self, first: int, last: int) -> list[str]:
        if self._file is None:  # open from the first request until close()
            self._file = open(  # noqa: SIM115
                self._path, encoding=self._encoding, errors="surrogateescape", newline=""
            )
        after = self._first + len(self._kept)  # the line the handle reads next
        kept = self._kept[first - self._first :]
        start = max(first, after)
        if last >= start:
            kept += islice(self._file, start - after, last - after + 1)
        self._first, self._kept = first, kept
        return kept[: last - first + 1]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _shown_cells(header: list[str], cells: list[str]) -> dict[str, str | None]:
    """The cells of a row that cannot go in as they line up with the header, as staff may see them."""
    return {h: _printable(c) for h, c in zip(header, cells, strict=False)}


def _printable(cell: str) -> str | None:
    """A cell as staff may see it: undecodable bytes shown as U+FFFD."""
    text = "".join("\ufffd" if "\udc80" <= ch <= "\udcff" else ch for ch in cell).strip()
    return text or None


def _check_header(header: list[str], fields: Iterable[str] | None, file: str) -> None:
    names = [h for h in header if h]  # blank header cells (spacer columns) may repeat
    if len(set(names)) != len(names):  # which column holds the value? (the last one won)
        repeated = [h for h, n in Counter(names).items() if n > 1]
        shown = ", ".join(repr(_short(h)) for h in repeated)
        raise InvalidInput(Problem(f"columns named more than once in the header: {shown}", line=1, file=file))
    if fields is None:
        return
    missing = [f for f in fields if f not in header]
    if missing:
        raise InvalidInput(Problem(f"the header lacks the columns {', '.join(missing)}", line=1, file=file))


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):  # a whole number as one (400.0: "400"), else as Python writes it: 1e+308
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    text = str(v).strip()
    return text or None


def read_xlsx(path: Path, *, fields: Iterable[str] | None = None) -> Iterator[RawRow]:
    """Stream the first sheet of a workbook (openpyxl read-only mode: constant memory)."""
    from openpyxl import load_workbook

    # openpyxl raises many kinds for a broken file (BadZipFile, KeyError, an XML ParseError …); a
    # damaged sheet inside a sound zip shows only as it is read.
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        raise InvalidInput(Problem("not a valid XLSX workbook", file=path.name)) from None
    try:
        yield from _sheet_rows(wb.worksheets[0], fields, path.name)
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001
        raise InvalidInput(Problem("not a valid XLSX workbook", file=path.name)) from None
    finally:
        wb.close()


def _sheet_rows(ws: Any, fields: Iterable[str] | None, file: str) -> Iterator[RawRow]:
    # A sheet's <dimension ref="A1:E3"/> is what the program that wrote it claimed, and openpyxl's
    # read-only mode trusts it: it pads every row to the claimed width (A1:XFD1048576: a million rows of
    # 16,384 cells from a 5 KB workbook) and stops at the claimed last row (a stale A1:E3 dropped the
    # rows after it, neither counted nor quarantined). Without it each row is as wide as its last cell,
    # a row missing from the sheet is an empty one, and the sheet ends at its last row.
    ws.reset_dimensions()
    # closed when reading stops early (a refused header): its open sheet holds the file open
    with closing(ws.iter_rows(values_only=True)) as rows:
        header_row = next(rows, None)
        if header_row is None:
            raise InvalidInput(Problem("the file is empty: no header row", file=file))
        header = [str(h).strip() if h is not None else "" for h in header_row]
        while header and header[-1] == "":
            header.pop()
        _check_header(header, fields, file)
        n = len(header)
        for i, cells in enumerate(rows, start=1):
            if cells.count(None) == len(cells):  # counted in C: a row may be 16,384 cells wide
                continue
            # an empty cell is left out (absent, it reads as empty): a narrow row under a wide header stays
            # small; a row may be narrower than the header, or wider
            values = {h: v for h, c in zip(header, cells, strict=False) if (v := _cell_text(c)) is not None}
            beyond = cells[n:]
            if beyond.count(None) != len(beyond):  # a value right of the header: keep what lines up with it
                width = len(cells) - next(k for k, c in enumerate(reversed(cells)) if c is not None)
                problem = Problem(
                    f"{width} cells where the header has {n}", row=i, line=i + 1, file=file, field=RAGGED
                )
                yield RawRow(i, i + 1, values, problem)
                continue
            yield RawRow(i, i + 1, values)


def read_jsonl(path: Path, *, fields: Iterable[str] | None = None) -> Iterator[RawRow]:
    """Stream JSON Lines: one object per line."""
    with open(path, "rb") as fb:
        if not any(line.strip() for line in fb):
            raise InvalidInput(Problem("the file is empty: no records", file=path.name))
        fb.seek(0)
        yield from read_jsonl_lines(fb, file=path.name)


def read_jsonl_lines(lines: Iterable[bytes], *, file: str) -> Iterator[RawRow]:
    """Rows of JSON Lines, one record a line. A line that cannot be read as a record keeps its text
    under ``LINE`` for staff to see and retype (bytes that are not UTF-8 shown as U+FFFD); a record
    with such bytes in a value is read, the value marked, and refused naming its key (``json_row``)."""
    i = 0
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        i += 1
        # undecodable bytes become lone surrogates, which json_row finds and names
        text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8", "surrogateescape")
        try:
            obj = json_loads(text)
        except RecursionError:
            obj = _TOO_DEEP
        except ValueError as e:
            if _has_surrogate(text):
                problem = Problem(
                    "bytes that are not UTF-8", row=i, line=line_no, file=file, field=BAD_ENCODING
                )
            else:
                reason = f"not JSON: {_json_error(e)}"
                problem = Problem(reason, row=i, line=line_no, file=file, field=BAD_JSON)
            yield RawRow(i, line_no, _kept(text), problem)
            continue
        yield json_row(obj, row=i, line=line_no, file=file, text=text)


LINE = "_line"
"""The value under which a JSON record that cannot be read keeps its text: the line (or the record
written as JSON, when it came in a list of records), at most ``MAX_LINE_KEPT`` characters. It is not a
field: a fix replaces it with the fields' values."""
MAX_LINE_KEPT = 32_768  # a record of ten fields of 2,000 characters each still fits


def _kept(text: str) -> dict[str, str]:
    shown = _unsurrogate(text[:MAX_LINE_KEPT]).strip()
    return {LINE: shown} if shown else {}


def json_loads(text: str | bytes) -> Any:
    """``json.loads``, an object that names a key more than once marked as such (Python keeps the
    last value and says nothing): ``json_row`` refuses such a record as ``bad_json``, naming the key.
    One decoder serves every call: ``json.loads(text, object_pairs_hook=...)`` builds a new one each
    time, which made reading a JSON line 40 % slower; this way, 5 %."""
    if isinstance(text, bytes):  # as json.loads reads bytes
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return DECODER.decode(text)


class _Repeated(dict[str, Any]):
    """The members of a JSON object that names a key more than once, each such key with the list of
    its values."""

    repeated: list[str]


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    counts = Counter(k for k, _ in pairs)
    marked = _Repeated()
    for k, v in pairs:
        if counts[k] > 1:
            marked.setdefault(k, []).append(v)
        else:
            marked[k] = v
    marked.repeated = [k for k, n in counts.items() if n > 1]
    return marked


DECODER = json.JSONDecoder(object_pairs_hook=_members)
"""The decoder of every department record (``json_loads``; ``bodies`` reads a body's records with it)."""


def _json_error(e: ValueError) -> str:
    """What the JSON parser said: its message without the position (the row names the line), or for a
    number too long to convert (over 4,300 digits, a plain ValueError) Python's sentence without its
    advice to the programmer."""
    if isinstance(e, json.JSONDecodeError):
        return e.msg
    return str(e).split(";")[0]


def read_json_records(records: Iterable[Any], *, file: str) -> Iterator[RawRow]:
    """Rows of already parsed JSON records (a pushed or pulled ``{"records": [...]}``), row and line
    ``n`` the ``n``-th record, each checked like a JSON line."""
    for i, obj in enumerate(records, start=1):
        yield json_row(obj, row=i, line=i, file=file)


_TOO_DEEP = object()  # a line the JSON parser refused for its depth


def json_row(obj: Any, *, row: int, line: int | None, file: str, text: str | None = None) -> RawRow:
    """One parsed JSON record as a raw row. Its values keep their JSON types (``validate`` decides per
    field what a number, a boolean or a list may be), strings stripped; a record that is not an object,
    nests deeper than ``MAX_JSON_DEPTH`` or holds text with a lone surrogate (``"\\ud800"``, or bytes
    that were not UTF-8), which has no UTF-8 form, is refused here, that last one naming its key and
    keeping its values (the surrogates as U+FFFD), the others keeping ``text``, the line it was read
    from (or the record written as JSON), under ``LINE``."""

    def refused(reason: str, field: str, values: dict[str, Any] | None = None) -> RawRow:
        if values is None:
            values = _kept(text if text is not None else json.dumps(obj, ensure_ascii=False))
        return RawRow(row, line, values, Problem(reason, row=row, line=line, file=file, field=field))

    if obj is _TOO_DEEP:
        return refused("not JSON: nested too deeply", BAD_JSON)
    if not isinstance(obj, dict):
        return refused("a line is one JSON object", BAD_JSON)
    if isinstance(obj, _Repeated):  # which value is meant? (the last one won)
        return refused(
            f"the key {_short(obj.repeated[0])!r} appears more than once", BAD_JSON, _storable(obj)
        )
    values: dict[str, Any] = {}
    for key, value in obj.items():
        trouble = _json_trouble(key, value)
        if trouble == "deep":
            return refused("not JSON: nested too deeply", BAD_JSON)
        if trouble == "surrogate":
            return refused("bytes that are not UTF-8", _unsurrogate(key), _storable(obj))
        values[key] = (value.strip() or None) if isinstance(value, str) else value
    return RawRow(row, line, values)


def _storable(obj: dict[str, Any]) -> dict[str, Any]:
    """A refused record's members as the quarantine can keep them (UTF-8 text): lone surrogates as
    U+FFFD, a list or an object as its JSON text."""

    def kept(v: Any) -> Any:
        if isinstance(v, (list, dict)):
            v = json.dumps(v, ensure_ascii=False)
        return (_unsurrogate(v).strip() or None) if isinstance(v, str) else v

    return {_unsurrogate(k): kept(v) for k, v in obj.items()}


def _json_trouble(key: str, value: Any) -> str | None:
    """``surrogate``, ``deep`` or None for one member of a JSON record (walked without recursion)."""
    stack = [(key, 0), (value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            if not _encodable(v):
                return "surrogate"
        elif isinstance(v, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                return "deep"
            items = [x for kv in v.items() for x in kv] if isinstance(v, dict) else v
            stack.extend((x, depth + 1) for x in items)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unsurrogate(text: str) -> str:
    return _ANY_SURROGATE.sub("\ufffd", text)


_ANY_SURROGATE = re.compile("[\ud800-\udfff]")


def read_rows(path: Path, *, fields: Iterable[str] | None = None) -> Iterator[RawRow]:
    """Stream the rows of a CSV (UTF-8, UTF-8 with BOM or GB18030), XLSX or JSON Lines file."""
    fmt = file_format(path)
    reader = {"csv": read_csv, "xlsx": read_xlsx, "jsonl": read_jsonl}[fmt]
    return reader(Path(path), fields=fields)


def problem_reason(p: Problem) -> str:
    """The stable reason code of a reading problem (kept in ``Problem.field`` for structural ones)."""
    if p.field in STRUCTURAL:
        return p.field
    if p.reason.startswith("bytes that are not"):
        return BAD_ENCODING
    return p.reason


# -- validating ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A valid row: typed values, the person's GB 11643 number, the source id and the deed date."""

    row: int
    values: dict[str, Any]
    source_record_id: str
    id_number: str
    deed_date: date

    def content_hash(self) -> str:
        return content_hash(self.values)


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot go in: a stable ``reason`` code, the ``field`` and a readable ``detail``."""

    row: int
    line: int | None
    field: str | None
    reason: str
    detail: str


def canonical_json(values: dict[str, Any]) -> str:
    """The canonical JSON text of typed values (sorted keys, no spaces): what ``content_hash`` hashes
    and what the import stores as a record's payload, so one encoding serves both."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def hash_text(canon: str) -> str:
    return hashlib.sha256(canon.encode()).hexdigest()


def content_hash(values: dict[str, Any]) -> str:
    return hash_text(canonical_json(values))


# The forms of a date, in ASCII digits only ("\d" would take full-width and Arabic-Indic digits too).
# A time is taken only whole, as ISO 8601 writes it after an ISO date: hours and minutes, perhaps
# seconds and their fraction, perhaps Z or an offset; the date is the day as written there.
_DATE_FORMATS = tuple(
    re.compile(form)
    for form in (
        r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})",
        r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})",
        r"([0-9]{4})([0-9]{2})([0-9]{2})",
        r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日",
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
        r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?",
    )
)
MAX_DATE_TEXT = 40  # the longest date taken, 2026-11-25T10:00:00.123456789+08:00, has 35 characters
EARLIEST_DATE = date(1949, 10, 1)
"""No date of a department's record is older than the People's Republic: an older one is a placeholder
or a typing error (0001-01-01 made an interface's mean lag read 739,944 days), ``out_of_range``."""


def parse_date(text: str) -> date:
    """The date a text names, or ValueError. A text too long to be a date is refused before the cache
    is asked, so the cache holds short texts only (a hostile row's 2,000 characters would stay there
    for good)."""
    text = text.strip()
    if len(text) > MAX_DATE_TEXT:
        raise ValueError(text[:MAX_DATE_TEXT])
    return _parse_date(text)


@lru_cache(maxsize=65536)  # a year of records names a few hundred distinct days
def _parse_date(text: str) -> date:
    for rx in _DATE_FORMATS:
        m = rx.fullmatch(text)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


def valid_id_number(text: str) -> str | None:
    """The normalised GB 11643 number, or None when its form, check character, birth date or division
    code is wrong (the residents register's own rules, so both sides agree on what is valid), or it is
    not written in ASCII: the register would read full-width digits as theirs, but a feed takes digits
    in ASCII only, as in numbers and dates (and GB 32100 codes, whose full-width letters no check
    reads). A text longer than a number is refused before the cache is asked, so the cache holds short
    texts only."""
    if len(text) > 18 and len(text := text.strip()) > 18:
        return None
    return _valid_id_number(text) if text.isascii() else None


# A resident appears about a dozen times a year. Each entry is long-lived and made between a batch's
# short-lived objects, so a big cache pins the allocator's arenas: 262,144 entries cost 28 MB of peak.
@lru_cache(maxsize=1 << 16)
def _valid_id_number(text: str) -> str | None:
    from moralbank.residents.idnumber import BadIdNumber, parse

    try:
        return parse(text).number
    except BadIdNumber:
        return None


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_COMPACT = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}")


def valid_uscc(text: str) -> str | None:
    """The GB 32100 code, or None when its form or check character is wrong (python-stdnum's rules;
    a code already in compact form is checked here directly, 30 times faster than stdnum), or it is
    not written in ASCII (see ``valid_id_number``)."""
    if not text.isascii():
        return None
    if _USCC_COMPACT.fullmatch(text):
        total = sum(_USCC_VALUE[c] * w for c, w in zip(text, _USCC_WEIGHTS))  # noqa: B905 - 17 of 18
        return text if _USCC_ALPHABET[(31 - total) % 31] == text[17] else None
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    try:
        return str(uscc.validate(text))
    except ValidationError:
        return None


# A number as int and decimal fields both take it: ASCII digits, perhaps a sign, a point, an exponent.
# (Decimal() alone also takes "1_000", full-width and Arabic-Indic digits, "NaN" and "Infinity".)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Control characters text may not hold: PostgreSQL refuses NUL in text (the whole batch failed), and the
# others are no part of what a person writes — a file read in the wrong encoding (UTF-16 without a BOM
# reads as text with a NUL after every letter) or binary data. Free text keeps tab and line breaks; a
# record id, which names the record in the ledger's references, has none.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANY_CONTROL = re.compile("[\x00-\x1f]")


def _convert(spec: FieldSpec, value: Any, *, record_id: bool = False) -> tuple[Any, str | None]:
    """(value, reason) — reason set when the value is not of the field's type or out of its bounds;
    ``record_id``: the value is the department's record id (shorter, and no control character at all).

    ``value`` is text (CSV, XLSX, a staff member's fix) or a JSON value: a list or an object is never a
    field's value; a number is one for a numeric field, and for a text field (a record id) only as a
    whole number; a boolean only for a bool field (or a code field with codes true/false)."""
    if isinstance(value, (list, dict)):
        return None, WRONG_TYPE
    t = spec.type
    if isinstance(value, bool):
        if t == "bool":
            return value, None
        value = _as_code(value) if t == "code" else value
        if not isinstance(value, str):
            return None, WRONG_TYPE
    if isinstance(value, (int, float)):
        if t in ("int", "decimal"):
            return _number_in(spec, Decimal(value if isinstance(value, int) else str(value)))
        if isinstance(value, int) and t in ("str", "bool"):
            value = str(value)
        else:
            return None, WRONG_TYPE
    text = str(value)
    if len(text) > (MAX_RECORD_ID if record_id else MAX_TEXT):
        return None, TOO_LONG
    if not _encodable(text):
        return None, BAD_ENCODING
    if (_ANY_CONTROL if record_id else _CONTROL).search(text) is not None:
        return None, CONTROL
    if t == "str":
        return text, None
    if t in ("int", "decimal"):
        if not _NUMBER.fullmatch(text):
            return None, WRONG_TYPE
        try:
            number = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal holds: far out of any range
            return None, OUT_OF_RANGE
        return _number_in(spec, number)
    if t == "bool":
        low = text.lower()
        if low in ("true", "1", "yes", "是", "y"):
            return True, None
        if low in ("false", "0", "no", "否", "n"):
            return False, None
        return None, WRONG_TYPE
    if t == "date":
        try:
            day = parse_date(text)
        except ValueError:
            return None, BAD_DATE
        return (day.isoformat(), None) if day >= EARLIEST_DATE else (None, OUT_OF_RANGE)
    if t == "code":
        return (text, None) if text in spec.codes else (None, UNKNOWN_CODE)
    if t == "id_number":
        v = valid_id_number(text)
        return (v, None) if v else (None, BAD_ID_NUMBER)
    if t == "uscc":
        v = valid_uscc(text)
        return (v, None) if v else (None, BAD_USCC)
    raise AssertionError(t)


def _number_in(spec: FieldSpec, d: Decimal) -> tuple[Any, str | None]:
    """A number of an int or decimal field (int: a whole number), within the field's bounds (checked
    first: a huge number is out of range in both kinds of field)."""
    if not d.is_finite():
        return None, WRONG_TYPE
    low, high = _bounds(spec)
    if not low <= d <= high:
        return None, OUT_OF_RANGE
    if spec.type == "int":
        return (int(d), None) if d == d.to_integral_value() else (None, WRONG_TYPE)
    return canonical_decimal(d), None


_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # normalize() in it rounds nothing
MAX_PLAIN_PLACES = 30


def canonical_decimal(d: Decimal) -> str:
    """The one text of a decimal value, so that equal values hash alike ("4", "4.0", "4.00", "4e0" and
    "+4" of one record are one value, not a correction each): no exponent, no zeros at the end of the
    fraction, no point without a fraction, "0" for any zero. A value with more than
    ``MAX_PLAIN_PLACES`` places after the point keeps an exponent ("1E-40", not 40 digits)."""
    if d.is_zero():
        return "0"
    d = d.normalize(_EXACT)
    return format(d, "f") if d.as_tuple().exponent >= -MAX_PLAIN_PLACES else str(d)


def recanonical(iface: Interface, payload: str) -> str:
    """A stored record's payload (its canonical JSON) with its decimals in today's canonical form:
    records stored before decimals were made canonical keep them as the department wrote them
    ("4.0"), and a resend of the same values is the same record, not a correction."""
    values = json.loads(payload)
    for spec in iface.fields:
        v = values.get(spec.name)
        if spec.type == "decimal" and isinstance(v, str) and _NUMBER.fullmatch(v):
            with suppress(InvalidOperation):  # stored before it was checked as it is now
                values[spec.name] = canonical_decimal(Decimal(v))
    return canonical_json(values)


def _bounds(spec: FieldSpec) -> tuple[Decimal, Decimal]:
    low = -MAX_NUMBER if spec.min is None else max(spec.min, -MAX_NUMBER)
    high = MAX_NUMBER if spec.max is None else min(spec.max, MAX_NUMBER)
    return low, high


def _limit(iface: Interface, spec: FieldSpec) -> int:
    return MAX_RECORD_ID if spec.name == iface.source_id else MAX_TEXT


_DETAIL = {
    WRONG_TYPE: "不是{type}类型的值",
    BAD_DATE: "不是有效日期",
    UNKNOWN_CODE: "不是本接口定义的代码",
    BAD_ID_NUMBER: "身份证号码（GB 11643）校验不通过",
    BAD_USCC: "统一社会信用代码（GB 32100）校验不通过",
    MISSING: "必填字段为空",
    OUT_OF_RANGE: "超出允许范围 {low} 至 {high}",
    TOO_LONG: "超过 {limit} 个字符",
    BAD_ENCODING: "bytes that are not UTF-8",
    CONTROL: "a control character in the text",
}
FUTURE_DETAIL = "日期在将来: {date}"
UNKNOWN_PERSON_DETAIL = "本市居民中没有这个身份号码"


def validate(iface: Interface, raw: RawRow, *, today: date | None = None) -> Record | RowProblem:
    """Check a raw row against the interface; the first problem found is returned (with its field)."""
    if raw.problem is not None:
        return _reading_problem(iface, raw.row, raw.line, raw.problem)
    values: dict[str, Any] = {}
    for spec in iface.fields:
        text = raw.values.get(spec.name)
        if text is None or text == "":
            if spec.required:
                return RowProblem(raw.row, raw.line, spec.name, MISSING, _DETAIL[MISSING])
            values[spec.name] = None
            continue
        value, reason = _convert(spec, text, record_id=spec.name == iface.source_id)
        if reason:
            detail = _DETAIL[reason].format(type=spec.type, limit=_limit(iface, spec), **_shown_bounds(spec))
            if reason != BAD_ENCODING:  # text with no UTF-8 form cannot be quoted in the detail either
                detail += f": {_shown(spec, text)!r}"
            return RowProblem(raw.row, raw.line, spec.name, _REASON.get(reason, reason), detail)
        values[spec.name] = value
    deed = date.fromisoformat(values[iface.date_field])
    if today is not None and deed > today:
        detail = FUTURE_DETAIL.format(date=deed.isoformat())
        return RowProblem(raw.row, raw.line, iface.date_field, BAD_DATE, detail)
    return Record(raw.row, values, str(values[iface.source_id]), str(values[iface.person_field]), deed)


def _reading_problem(iface: Interface, row: int, line: int | None, p: Problem) -> RowProblem:
    """A reader's problem as the row's. Its field is one the interface declares, or none: a column's
    or a JSON key's name is input, of any length and content, named (shortened) in the detail only."""
    field = p.field if p.field in iface.field_names else None
    if field is None and p.field is not None and p.field not in STRUCTURAL:
        p = Problem(f"{p.reason} in {_short(p.field)!r}, which is not a field of {iface.name}")
    return RowProblem(row, line, field, problem_reason(p), p.reason)


def _short(name: str) -> str:
    """A column's or a key's name as a message may quote it: its first 40 characters."""
    name = _unsurrogate(name)
    return name if len(name) <= 40 else name[:40] + "…"


_REFUSED = {
    MISSING: "required, cannot be empty",
    WRONG_TYPE: "not a value of type {type}",
    BAD_DATE: "not a valid date",
    UNKNOWN_CODE: "not one of the interface's codes ({codes})",
    BAD_ID_NUMBER: "not a valid ID number (GB 11643)",
    BAD_USCC: "not a valid unified social credit code (GB 32100)",
    OUT_OF_RANGE: "out of the field's range",
    TOO_LONG: "too long for the field",
    BAD_ENCODING: "text that has no UTF-8 form",
    CONTROL: "a control character in the text",
}


def check_values(iface: Interface, values: dict[str, str | None], *, today: date) -> list[Problem]:
    """Every field a staff member's fix leaves empty or invalid, each named (``validate`` stops at the
    first problem of a row; a person correcting one wants them all at once)."""
    problems = []
    for spec in iface.fields:
        text = values.get(spec.name)
        if text is None or text == "":
            if spec.required:
                problems.append(Problem(_REFUSED[MISSING], field=spec.name))
            continue
        value, reason = _convert(spec, text, record_id=spec.name == iface.source_id)
        if reason:
            message = _REFUSED[reason].format(type=spec.type, codes=", ".join(spec.codes))
            problems.append(Problem(f"{message}: {_shown(spec, text)!r}", field=spec.name))
        elif spec.name == iface.date_field and date.fromisoformat(value) > today:
            problems.append(Problem(f"a date in the future: {value}", field=spec.name))
    return problems


def _detail_form(kind: str, template: str, **parts: str) -> tuple[str, re.Pattern[str]]:
    """A stored detail's wording as a pattern; ``{name}`` in ``template`` captures ``parts[name]``."""
    pattern = re.sub(
        r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>{parts[m.group(1)]})", re.escape(template)
    )
    return kind, re.compile(pattern, re.DOTALL)


# The details a quarantined row keeps, as they were written (the readers' English, the validator's
# Chinese), read back into a stable kind and its values so a page can say them in its own language —
# those of rows stored long ago as well.
_DETAIL_FORMS = (
    _detail_form(RAGGED, "{cells} cells where the header has {columns}", cells=r"\d+", columns=r"\d+"),
    _detail_form(BAD_ENCODING, "bytes that are not {encoding}", encoding=r"\S+"),
    _detail_form(
        "undeclared_encoding",
        "bytes that are not {encoding} in {name}, which is not a field of {interface}",
        encoding=r"\S+",
        name=r"'.*'|\".*\"",
        interface=r"\w+",
    ),
    _detail_form(CONTROL, _DETAIL[CONTROL] + ": {value}", value=".*"),
    _detail_form(BAD_JSON, "not JSON: {error}", error=".+"),
    _detail_form("json_object", "a line is one JSON object"),
    _detail_form("repeated_key", "the key {key} appears more than once", key=r"'.*'|\".*\""),
    _detail_form(WRONG_TYPE, _DETAIL[WRONG_TYPE] + ": {value}", type=r"\w+", value=".*"),
    *(
        _detail_form(r, _DETAIL[r] + ": {value}", value=".*")
        for r in (BAD_DATE, UNKNOWN_CODE, BAD_ID_NUMBER, BAD_USCC)
    ),
    _detail_form(MISSING, _DETAIL[MISSING]),
    _detail_form(OUT_OF_RANGE, _DETAIL[OUT_OF_RANGE] + ": {value}", low=r"\S+", high=r"\S+", value=".*"),
    _detail_form(TOO_LONG, _DETAIL[TOO_LONG] + ": {value}", limit=r"\d+", value=".*"),
    _detail_form("future_date", FUTURE_DETAIL, date=r"[\d-]+"),
    _detail_form(UNKNOWN_PERSON, UNKNOWN_PERSON_DETAIL),
)


def read_detail(detail: str) -> tuple[str, dict[str, str]] | None:
    """The kind of a stored row problem's detail and its values (a quoted value unquoted); None for a
    wording this version does not know.

    Kinds: the reason codes, plus ``json_object`` (a JSON line that is not an object),
    ``future_date``, ``control_character`` (a ``bad_encoding``: text with a control character),
    ``undeclared_encoding`` (a ``bad_encoding`` in a column or key the interface lacks) and
    ``repeated_key`` (a ``bad_json``: a JSON object naming a key twice); values:
    ``cells``/``columns``, ``encoding``, ``error`` (Python's JSON message), ``type`` (a field type),
    ``value`` (the refused text, an ID number masked), ``date``, ``name`` and ``key`` (of the
    column or key, quoted and shortened), ``interface``.
    """
    for kind, pattern in _DETAIL_FORMS:
        m = pattern.fullmatch(detail)
        if m:
            values = m.groupdict()
            if "value" in values:
                values["value"] = _unquoted(values["value"])
            return kind, values
    return None


def _unquoted(shown: str) -> str:
    """The text of a value the validator quoted with ``repr``."""
    if len(shown) < 2 or shown[0] not in "'\"" or shown[-1] != shown[0]:
        return shown
    try:
        return str(ast.literal_eval(shown))
    except (ValueError, SyntaxError):
        return shown


def _shown_bounds(spec: FieldSpec) -> dict[str, str]:
    if spec.type == "date":
        return {"low": EARLIEST_DATE.isoformat(), "high": date.max.isoformat()}
    return {k: f"{_number(b):,}" for k, b in zip(("low", "high"), _bounds(spec), strict=True)}


def _shown(spec: FieldSpec, value: Any) -> str:
    """A bad value as the quarantine's (unencrypted) reason may quote it: an ID number is masked
    like staff see it (330281********123X); the full row stays encrypted. A JSON value that is not
    text is shown as JSON."""
    text = _unsurrogate(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if spec.type == "id_number":
        return text[:6] + "*" * max(len(text) - 10, 0) + text[-4:] if len(text) > 10 else "*" * len(text)
    return text[:60]


@dataclass(frozen=True)
class Mapping:
    indicator: str
    points: int
    rule: int  # index of the rule that matched


def apply_rules(
    iface: Interface, values: dict[str, Any], *, caps: dict[str, tuple[int, int]] | None = None
) -> Mapping | None:
    """The indicator and points a record earns; ``caps`` (indicator -> (min, max) points per deed, from
    the policy) clamp what the interface asks for, so configuration can never exceed the policy."""
    for i, rule in enumerate(iface.rules):
        if rule.matches(values):
            points = rule.points_for(values)
            if points == 0:  # e.g. fewer hours than one unit: the deed does not qualify
                return None
            if caps and rule.indicator in caps:
                lo, hi = caps[rule.indicator]
                points = max(lo, min(hi, points))
            return Mapping(rule.indicator, points, i)
    return None


# -- counts -------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """What one import did. ``received`` always equals the sum of the four outcomes."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    held_for_consent: int = 0
    corrections: int = 0  # accepted records that corrected an earlier version (included in accepted)

    def add(self, other: Counts) -> None:
        for k in ("received", "accepted", "duplicates", "quarantined", "held_for_consent", "corrections"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def reconciles(self) -> bool:
        return self.received == self.accepted + self.duplicates + self.quarantined + self.held_for_consent

    def as_dict(self) -> dict[str, int]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "held_for_consent": self.held_for_consent,
            "corrections": self.corrections,
        }


# -- the return loop: GB/T 39445 element names ------------------------------------------------------------

# Export columns: our field -> the public-credit data element name used by the platform (GB/T 39445-2020,
# 公共信用信息数据元; where the standard has no element for a moral-bank concept we keep a descriptive
# Chinese name and say so in docs/feeds.md).
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_id", "信息记录编号"),
    ("resident_id", "信用主体标识"),
    ("subject_type", "信用主体类别"),
    ("indicator", "信息事项代码"),
    ("indicator_name", "信息事项名称"),
    ("aspect", "信息类别"),
    ("points", "道德积分分值"),
    ("deed_date", "行为发生日期"),
    ("recorded_at", "信息认定日期"),
    ("source", "信息来源"),
    ("source_ref", "来源记录编号"),
    ("policy_version", "认定依据版本"),
    ("reverses", "更正原记录编号"),
    ("expires_on", "公示截止日期"),
    ("provider", "信息提供单位"),
)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes a manifest signature covers (sorted keys, no spaces, UTF-8)."""
    return json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
