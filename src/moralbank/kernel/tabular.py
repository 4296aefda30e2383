"""Reading import files: CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX, as rows of named cells.

Row numbers are those a person sees in a spreadsheet: the header is row 1, the first data row is 2.
Headers are matched after trimming and lower-casing, through an alias table (so ``姓名`` and ``name``
both work).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moralbank.errors import InvalidInput, Problem

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Table:
    """The rows of an import file: ``rows`` are (row number, {column: text}), or with
    ``read_table(..., cells=True)`` (row number, [text, …]) in the file's column order, which
    ``positions`` names (None for a column nobody asked for)."""

    name: str
    columns: list[str]
    rows: list[tuple[int, Any]]
    positions: list[str | None] = field(default_factory=list)


def record(positions: list[str | None] | tuple[str | None, ...], cells: list[str]) -> dict[str, str]:
    """One row of cells as {column: trimmed text} (what ``read_table`` gives without ``cells=True``)."""
    return {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(positions) if col}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312 that Excel on Chinese
    Windows writes)."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(Problem("the file is neither UTF-8 nor GB18030 text"))


def _normalise_header(cells: list[str], aliases: Mapping[str, str]) -> list[str | None]:
    out: list[str | None] = []
    for cell in cells:
        key = (cell or "").strip().lower()
        out.append(aliases.get(key, key) if key else None)
    return out


def _check_required(columns: list[str | None], required: tuple[str, ...], file: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidInput([Problem(f"missing column {c!r}", field=c, row=1, file=file) for c in missing])


def read_table(
    source: Path | bytes,
    *,
    filename: str | None = None,
    aliases: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
    cells: bool = False,
) -> Table:
    """Read a CSV or XLSX file (by extension; bytes need ``filename``).

    ``cells=True`` leaves each row as its list of cells (see :func:`record`): bulk imports turn them
    into records in worker processes, off the main process.
    """
    aliases = {k.lower(): v for k, v in (aliases or {}).items()}
    if isinstance(source, Path):
        filename = filename or source.name
        data = source.read_bytes()
    else:
        data = source
    name = filename or "upload"
    if name.lower().endswith((".xlsx", ".xlsm")):
        header, raw_rows = _xlsx_rows(data, name)
    else:
        header, raw_rows = _csv_rows(data)
    columns = _normalise_header(header, aliases)
    _check_required(columns, required, name)
    rows: list[tuple[int, Any]] = []
    for number, row in raw_rows:
        if not "".join(row).strip():
            continue  # blank lines are not rows
        rows.append((number, row if cells else record(columns, row)))
    return Table(name=name, columns=[c for c in columns if c], rows=rows, positions=columns)


def _csv_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(Problem("the file is empty", row=1)) from None
    return header, ((i, row) for i, row in enumerate(reader, start=2))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()  # type: ignore[attr-defined]
    return str(value)


def _xlsx_rows(data: bytes, name: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    # openpyxl raises many kinds for a broken file (BadZipFile, KeyError, an XML ParseError …); a
    # damaged sheet inside a sound zip shows only as it is read.
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            first = next(rows, None)
            materialised = [(i, [_cell_text(c) for c in row]) for i, row in enumerate(rows, start=2)]
        finally:
            wb.close()
    except Exception:  # noqa: BLE001
        raise InvalidInput(Problem("not a valid XLSX workbook", file=name)) from None
    if first is None:
        raise InvalidInput(Problem("the sheet is empty", row=1, file=name))
    return [_cell_text(c) for c in first], iter(materialised)
