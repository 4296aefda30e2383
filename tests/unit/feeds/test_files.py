"""Files a department or a person gets wrong: empty, not a workbook, a damaged sheet, a header without
rows; sample files are written whole or not at all, in an encoding the import reads."""

from __future__ import annotations

import codecs
import re
import signal
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from moralbank.errors import InvalidInput
from moralbank.feeds import domain, samples, source
from moralbank.residents.idnumber import make

IFACE = source.load_interfaces()["court_enforcement"]
REQUIRED = [f.name for f in IFACE.fields if f.required]


def _refusal(path: Path) -> str:
    with pytest.raises(InvalidInput) as e:
        list(domain.read_rows(path, fields=REQUIRED))
    return str(e.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty: no header row"),
        ("empty.xlsx", None, "empty.xlsx: the file is empty: no header row"),
        ("empty.jsonl", b"", "empty.jsonl: the file is empty: no records"),
        ("blank.jsonl", b"\n  \n\n", "blank.jsonl: the file is empty: no records"),
    ],
)
def test_an_empty_file_is_refused_naming_it(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:  # a workbook whose only sheet has no cells
        from openpyxl import Workbook

        Workbook().save(path)
    else:
        path.write_bytes(content)
    assert _refusal(path) == message


@pytest.mark.parametrize("content", [b"", b"not a zip\n", b"PK\x03\x04 cut off"])
def test_a_file_that_is_not_a_workbook_is_refused_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(content)
    assert _refusal(path) == "corrupt.xlsx: not a valid XLSX workbook"


def test_a_header_without_rows_is_a_file_with_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(IFACE.field_names) + "\r\n", encoding="utf-8")
    assert list(domain.read_rows(path, fields=REQUIRED)) == []


def test_an_unreadable_workbook_is_refused_by_the_upload_reader_too() -> None:
    from moralbank.kernel.tabular import read_table

    for content in (b"", b"not a zip\n"):
        with pytest.raises(InvalidInput) as e:
            read_table(content, filename="units.xlsx")
        assert str(e.value) == "units.xlsx: not a valid XLSX workbook"


def _workbook(path: Path, rows: list[list[object]], change: Callable[[bytes], bytes]) -> Path:
    """A workbook of ``rows`` whose sheet XML is then changed by ``change`` (an xlsx is a zip), as a
    program other than openpyxl may have written it."""
    from openpyxl import Workbook

    whole = path.with_name("whole.xlsx")
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(whole)
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, change(data) if item.filename.endswith("sheet1.xml") else data)
    return path


def _damaged_sheet(path: Path) -> Path:
    """A sound zip whose sheet's XML is cut in half: openpyxl opens it and fails only as it reads."""
    rows = [list(IFACE.field_names), ["x"] * len(IFACE.field_names)]
    return _workbook(path, rows, lambda data: data[: len(data) // 2])


def test_a_damaged_sheet_is_refused_as_it_is_read(tmp_path: Path) -> None:
    from moralbank.kernel.tabular import read_table

    path = _damaged_sheet(tmp_path / "damaged.xlsx")
    assert _refusal(path) == "damaged.xlsx: not a valid XLSX workbook"
    with pytest.raises(InvalidInput, match="damaged.xlsx: not a valid XLSX workbook"):
        read_table(path)


def _dimension(ref: str, *, cell: str | None = None) -> Callable[[bytes], bytes]:
    """Set the sheet's declared ``<dimension ref=...>``; ``cell``: add one text cell there."""

    def change(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data)
        if cell is not None:
            row = re.fullmatch(r"[A-Z]+(\d+)", cell)[1]  # type: ignore[index]
            far = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
            data = data.replace(b"</sheetData>", far.encode() + b"</sheetData>")
        return data

    return change


class _TooSlow(BaseException):  # not an Exception: the reader turns those into "not a valid workbook"
    pass


def _read_within(path: Path, seconds: int) -> list[domain.RawRow]:
    def stop(signum: int, frame: object) -> None:
        raise _TooSlow(f"still reading {path.name} after {seconds} s")

    before = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return list(domain.read_rows(path, fields=REQUIRED))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def _court_rows(n: int) -> list[list[object]]:
    return [list(IFACE.field_names)] + [
        [r[f] for f in IFACE.field_names] for r in samples.rows(IFACE, PEOPLE, n, today=TODAY)
    ]


def test_a_sheet_that_claims_the_whole_grid_is_read_by_the_cells_it_has(tmp_path: Path) -> None:
    # openpyxl padded every row to the claimed 16,384 columns and read a million rows: a 5 KB workbook
    # kept the import busy for about 15 minutes
    change = _dimension("A1:XFD1048576", cell="XFD1048576")
    path = _workbook(tmp_path / "grid.xlsx", _court_rows(3), change)
    assert path.stat().st_size < 10_000
    rows = _read_within(path, 60)  # under a second now
    assert [r.values.get("record_id") for r in rows[:3]] == [row[0] for row in _court_rows(3)[1:]]
    far = rows[3]
    assert (far.row, far.line, far.values) == (1_048_575, 1_048_576, {})
    assert far.problem is not None and far.problem.reason == "16384 cells where the header has 5"


def test_a_stale_dimension_does_not_drop_the_rows_after_it(tmp_path: Path) -> None:
    # <dimension ref="A1:E3"/> on a sheet of 5 rows: rows 4 and 5 were neither read nor counted
    path = _workbook(tmp_path / "stale.xlsx", _court_rows(5), _dimension("A1:E3"))
    rows = _read_within(path, 60)
    assert [r.values["record_id"] for r in rows] == [row[0] for row in _court_rows(5)[1:]]
    assert all(r.problem is None for r in rows)


def test_a_row_wider_than_the_header_keeps_its_cells_under_the_header(tmp_path: Path) -> None:
    # it was kept with no values at all: staff saw an empty form
    rows = _court_rows(2)
    rows[2] = [*rows[2], "", "a note"]
    path = _workbook(tmp_path / "wide.xlsx", rows, lambda data: data)
    ragged = _read_within(path, 60)[1]
    assert ragged.problem is not None and ragged.problem.reason == "7 cells where the header has 5"
    assert ragged.values == dict(zip(IFACE.field_names, rows[2], strict=False))
    checked = domain.validate(IFACE, ragged)
    assert isinstance(checked, domain.RowProblem) and (checked.field, checked.reason) == (None, "ragged_row")


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_a_header_naming_a_column_twice_refuses_the_file_naming_it(tmp_path: Path, ext: str) -> None:
    # the last of the two columns was read, the first silently dropped
    rows = _court_rows(2)
    rows[0] = [*rows[0], "status", "", "", " case_number "]
    rows[1:] = [[*r, "listed", "", "", "x"] for r in rows[1:]]
    path = tmp_path / f"twice.{ext}"
    if ext == "csv":
        path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    else:
        _workbook(path, rows, lambda data: data)
    assert _refusal(path) == (
        f"twice.{ext}, line 1: columns named more than once in the header: 'status', 'case_number'"
    )
    # blank header cells (spacer columns) may repeat
    rows = [[r[0], "", r[1], "", *r[2:]] for r in _court_rows(2)]
    path = tmp_path / f"spacers.{ext}"
    if ext == "csv":
        path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    else:
        _workbook(path, rows, lambda data: data)
    assert [r.problem for r in domain.read_rows(path, fields=REQUIRED)] == [None, None]


# -- sample files ----------------------------------------------------------------------------------------

TODAY = date(2026, 11, 25)
PEOPLE = [make("330281", date(1970 + i, 5, 1 + i), 31 + i) for i in range(6)]


def _rows(n: int = 5) -> Iterator[dict]:
    return samples.rows(IFACE, PEOPLE, n, today=TODAY)


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "utf-16", "no-such-codec"])
def test_a_sample_is_written_only_in_an_encoding_the_import_reads(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "s.csv"
    with pytest.raises(InvalidInput) as e:
        samples.write(path, IFACE, _rows(), encoding=encoding)
    assert str(e.value) == (
        f"field encoding: {encoding!r} is not an encoding the import reads (utf-8, utf-8-sig, gb18030)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("UTF8", False), ("utf-8-sig", True)])
def test_a_sample_in_a_named_encoding_has_at_most_one_bom(tmp_path: Path, encoding: str, bom: bool) -> None:
    path = tmp_path / "s.csv"
    assert samples.write(path, IFACE, _rows(), encoding=encoding) == 5
    data = path.read_bytes()
    assert data.count(codecs.BOM_UTF8) == (1 if bom else 0) and data.startswith(codecs.BOM_UTF8) == bom


def test_a_sample_into_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as e:
        samples.write(tmp_path / "nodir" / "s.csv", IFACE, _rows())
    assert str(e.value) == f"s.csv: the directory {str(tmp_path / 'nodir')!r} does not exist"


@pytest.mark.parametrize("ext", ["csv", "xlsx", "jsonl"])
def test_a_sample_that_fails_half_way_leaves_no_partial_file(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"s.{ext}"
    samples.write(path, IFACE, _rows(3))
    before = path.read_bytes()

    def failing() -> Iterator[dict]:
        yield from _rows(2)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        samples.write(path, IFACE, failing())
    assert path.read_bytes() == before  # the earlier file is still whole
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
