"""Synthetic department files for an interface: valid rows for given residents' ID numbers, and on
request a few deliberately bad rows of every kind the quarantine knows. Deterministic from the seed.

Pure (stdlib, python-stdnum, openpyxl): the ID numbers come from the caller."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import random
import secrets
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from moralbank.errors import InvalidInput, Problem
from moralbank.feeds.domain import Interface, file_format

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BAD_KINDS = (
    "bad_id_number",
    "unknown_person",
    "bad_date",
    "unknown_code",
    "wrong_type",
    "missing_value",
    "ragged_row",
    "bad_encoding",
    "bad_uscc",
)


def make_uscc(rng: random.Random, division: str = "330281") -> str:
    """A valid GB 32100 code of an individual business (type 92) or company (91) in the division."""
    from stdnum.cn import uscc

    body = rng.choice(("91", "92")) + division + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body + "0")


def unknown_id_number(rng: random.Random) -> str:
    """A well-formed ID number of someone not living in the city (Beijing Dongcheng, 110101)."""
    from moralbank.residents.idnumber import make

    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    return make("110101", birth, rng.randrange(1, 999))


def _spoil_check(number: str) -> str:
    digits = "0123456789X"
    return number[:17] + digits[(digits.index(number[17]) + 1) % len(digits)]


def _value(field: Any, rng: random.Random, today: date) -> Any:
    name, t = field.name, field.type
    if t == "date":
        return (today - timedelta(days=rng.randrange(1, 365))).isoformat()
    if t == "code":
        return rng.choice(field.codes)
    if t == "decimal":
        return f"{rng.randrange(2, 17) / 2:.1f}"
    if t == "bool":
        return rng.choice(("true", "false"))
    if t == "int":
        ranges = {
            "months": (1, 24),
            "volume_ml": (200, 400),
            "amount_fen": (10_000, 500_000),
            "overdue_cycles": (1, 3),
            "months_on_time": (0, 24),
            "months_overdue": (1, 4),
            "year": (today.year - 1, today.year - 1),
        }
        lo, hi = ranges.get(name, (1, 10))
        return str(rng.randint(lo, hi))
    if t == "str":
        return rng.choice(("社区活动", "便民服务", "专项检查", "年度评定", "日常记录"))
    raise AssertionError(t)


def rows(
    iface: Interface,
    id_numbers: Sequence[str],
    n: int,
    *,
    seed: int = 1,
    today: date,
    bad: int = 0,
    prefix: str | None = None,
) -> Iterator[dict[str, Any]]:
    """``n`` rows (``bad`` of them deliberately wrong, spread through the file). A bad row carries its
    kind under ``"__bad__"``; writers turn ``ragged_row`` and ``bad_encoding`` into real damage."""
    rng = random.Random(f"{iface.name}:{seed}")
    bad_at = set(rng.sample(range(n), min(bad, n))) if bad else set()
    prefix = prefix or f"{iface.name[:4].upper()}{seed}"
    kinds = [k for k in BAD_KINDS if k != "bad_uscc" or iface.subject == "organisation"]
    rng.shuffle(kinds)  # so a few bad rows per file still show every kind across the interfaces
    k = 0
    for i in range(n):
        row: dict[str, Any] = {}
        for f in iface.fields:
            if f.name == iface.source_id:
                row[f.name] = f"{prefix}-{i:08d}"
            elif f.type == "id_number":
                row[f.name] = id_numbers[rng.randrange(len(id_numbers))]
            elif f.type == "uscc":
                row[f.name] = make_uscc(rng)
            elif not f.required and rng.random() < 0.3:
                row[f.name] = None
            else:
                row[f.name] = _value(f, rng, today)
        if i in bad_at:
            kind = kinds[k % len(kinds)]
            k += 1
            _spoil(iface, row, kind, rng)
        yield row


def _spoil(iface: Interface, row: dict[str, Any], kind: str, rng: random.Random) -> None:
    row["__bad__"] = kind
    person = iface.person_field
    if kind == "bad_id_number":
        row[person] = _spoil_check(row[person])
    elif kind == "unknown_person":
        row[person] = unknown_id_number(rng)
    elif kind == "bad_date":
        row[iface.date_field] = "2025-02-30"
    elif kind == "unknown_code":
        code = next((f.name for f in iface.fields if f.type == "code"), None)
        if code:
            row[code] = "X_UNKNOWN"
        else:
            row[person] = _spoil_check(row[person])
            row["__bad__"] = "bad_id_number"
    elif kind == "wrong_type":
        num = next((f.name for f in iface.fields if f.type in ("int", "decimal") and f.required), None)
        if num:
            row[num] = "十二"
        else:
            row[iface.date_field] = "昨天"
            row["__bad__"] = "bad_date"
    elif kind == "missing_value":
        row[iface.date_field] = None
    elif kind == "bad_uscc":
        row[iface.identifier] = row[iface.identifier][:-1] + (
            "0" if row[iface.identifier][-1] != "0" else "1"
        )


ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
"""The encodings a sample CSV is written in: those the import reads."""


def write(path: Path, iface: Interface, data: Iterator[dict[str, Any]], *, encoding: str = "utf-8") -> int:
    """Write rows as CSV (in one of ``ENCODINGS``), XLSX or JSON Lines, by extension; streams, so any
    size fits in memory. Written whole or not at all: into a hidden file beside ``path``, renamed
    when complete. Returns the number of rows written."""
    path = Path(path)
    fmt = file_format(path)
    encoding = _encoding(encoding)
    if not path.parent.is_dir():
        raise InvalidInput(Problem(f"the directory {str(path.parent)!r} does not exist", file=path.name))
    names = list(iface.field_names)
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        if fmt == "csv":
            n = _write_csv(part, names, data, encoding)
        elif fmt == "jsonl":
            n = _write_jsonl(part, names, data)
        else:
            n = _write_xlsx(part, names, data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return n


def _encoding(name: str) -> str:
    """The codec's own name of one of ``ENCODINGS`` ("UTF8" is utf-8); any other is refused."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = ""
    if codec not in ENCODINGS:
        raise InvalidInput(
            Problem(
                f"{name!r} is not an encoding the import reads ({', '.join(ENCODINGS)})", field="encoding"
            )
        )
    return codec


def _write_csv(path: Path, names: list[str], data: Iterator[dict[str, Any]], encoding: str) -> int:
    n = 0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    with open(path, "wb") as f:
        w.writerow(names)
        f.write(buf.getvalue().encode(encoding))
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM once, at the start
        for row in data:
            buf.seek(0)
            buf.truncate()
            cells = ["" if row.get(k) is None else str(row[k]) for k in names]
            bad = row.get("__bad__")
            if bad == "ragged_row":
                cells.append("多余的一格")
            w.writerow(cells)
            line = buf.getvalue().encode(encoding)
            if bad == "bad_encoding":  # bytes no text encoding of ours can read, inside a field
                marker = cells[-1].encode(encoding) if cells[-1] else b""
                line = (
                    line.replace(b"\r\n", b"\xff\xfe\xff\r\n")
                    if not marker
                    else line.replace(marker, marker + b"\xff\xfe\xff", 1)
                )
            f.write(line)
            n += 1
    return n


def _write_jsonl(path: Path, names: list[str], data: Iterator[dict[str, Any]]) -> int:
    n = 0
    with open(path, "wb") as f:
        for row in data:
            bad = row.get("__bad__")
            obj = {k: row.get(k) for k in names}
            if bad == "ragged_row":
                f.write(json.dumps([obj[k] for k in names], ensure_ascii=False).encode() + b"\n")
            elif bad == "bad_encoding":
                f.write(json.dumps(obj, ensure_ascii=False).encode()[:-1] + b',"x":"\xff\xfe"}\n')
            else:
                f.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")
            n += 1
    return n


def _write_xlsx(path: Path, names: list[str], data: Iterator[dict[str, Any]]) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("records")
    ws.append(names)
    n = 0
    try:
        for row in data:
            cells = [row.get(k) for k in names]
            bad = row.get("__bad__")
            if bad == "ragged_row":
                cells.append("多余的一格")
            elif bad == "bad_encoding":  # a workbook has no text encoding to break: a ragged row instead
                cells.append("\ufffd")
            ws.append(cells)
            n += 1
    except BaseException:
        ws.close()  # ends openpyxl's row writer, which would otherwise fail when collected
        raise
    wb.save(path)
    return n
