"""Files a department gets wrong: empty, not a workbook, a damaged sheet, a header without rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from moralbank.errors import InvalidInput
from moralbank.feeds import domain, source

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
