"""Import files: UTF-8, UTF-8 with BOM, GB18030, XLSX; header aliases; row numbers as in a spreadsheet."""

import io

import pytest
from openpyxl import Workbook

from moralbank.errors import InvalidInput
from moralbank.kernel.tabular import read_table

CSV = "姓名,身份证号,网格\n张三,330281195003040170,330281001001-G01\n\n李四,x,330281001001-G02\n"
ALIASES = {"姓名": "name", "身份证号": "id_number", "网格": "grid"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_reads_the_same(encoding: str) -> None:
    table = read_table(CSV.encode(encoding), filename="r.csv", aliases=ALIASES, required=("name",))
    assert table.columns == ["name", "id_number", "grid"]
    assert [(n, r["name"]) for n, r in table.rows] == [(2, "张三"), (4, "李四")]


def test_xlsx_reads_like_csv() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "网格"])
    ws.append(["张三", "330281195003040170", "330281001001-G01"])
    ws.append([None, None, None])
    ws.append(["李四", 12345, "330281001001-G02"])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), filename="r.xlsx", aliases=ALIASES)
    assert table.rows == [
        (2, {"name": "张三", "id_number": "330281195003040170", "grid": "330281001001-G01"}),
        (4, {"name": "李四", "id_number": "12345", "grid": "330281001001-G02"}),
    ]


def test_a_missing_column_is_reported_on_row_1() -> None:
    with pytest.raises(InvalidInput) as e:
        read_table("name\n张三\n".encode(), filename="r.csv", required=("name", "grid"))
    assert e.value.problems[0].row == 1 and e.value.problems[0].field == "grid"


def test_garbage_is_not_read_as_text() -> None:
    with pytest.raises(InvalidInput, match="XLSX"):
        read_table(b"\x00\x01 not a zip", filename="r.xlsx")
