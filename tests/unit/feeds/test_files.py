"""Files a department or a person gets wrong: empty, not a workbook, a damaged sheet, a header without
rows; sample files are written whole or not at all, in an encoding the import reads."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
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


def _damaged_sheet(path: Path) -> Path:
    """A sound zip whose sheet's XML is cut in half: openpyxl opens it and fails only as it reads."""
    import zipfile

    from openpyxl import Workbook

    whole = path.with_name("whole.xlsx")
    wb = Workbook()
    wb.active.append(list(IFACE.field_names))
    wb.active.append(["x"] * len(IFACE.field_names))
    wb.save(whole)
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return path


def test_a_damaged_sheet_is_refused_as_it_is_read(tmp_path: Path) -> None:
    from moralbank.kernel.tabular import read_table

    path = _damaged_sheet(tmp_path / "damaged.xlsx")
    assert _refusal(path) == "damaged.xlsx: not a valid XLSX workbook"
    with pytest.raises(InvalidInput, match="damaged.xlsx: not a valid XLSX workbook"):
        read_table(path)


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
