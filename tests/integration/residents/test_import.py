"""Importing residents: every encoding, bad rows reported with row/field/reason, idempotent."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.residents import service as residents
from tests.integration.residents.conftest import VILLAGE_2, number

GOOD = [
    ("张三", number(1980, 1), "330281001001-G01", "H-1", "13800000001"),
    ("张四", number(1982, 3), "330281001001-G01", "H-1", ""),
    ("李五", number(1990, 5), "330281001002-G01", "", ""),
]
BAD = [
    ("", number(1981, 7), "330281001001-G01", "", ""),  # row 5: no name
    ("王六", "330281198001011234", "330281001001-G01", "", ""),  # row 6: check character
    ("赵七", number(1983, 9), "330281009999-G01", "", ""),  # row 7: no such grid
    ("钱八", number(1980, 1), "330281001001-G02", "", ""),  # row 8: same as row 2
    ("孙九", number(2018, 11), "330281001001-G01", "", ""),  # row 9: under the policy age
    ("周十", number(1984, 13), "330281001001-G01", "", "12345"),
]  # row 10: phone


def _csv(rows: list[tuple[str, ...]]) -> str:
    lines = ["姓名,身份证号,网格,户号,手机"] + [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_bad_rows_are_reported_good_rows_enrolled_and_reimport_changes_nothing(
    city: Container, encoding: str
) -> None:
    data = _csv(GOOD + BAD).encode(encoding)
    with city.uow() as uow:
        report = residents.import_file(
            uow, source=data, filename="r.csv", principal=SYSTEM, consent_text_version="paper-2026"
        )
        uow.commit()
    assert report.enrolled == 3 and report.households_created == 1
    assert [(p.row, p.field) for p in report.problems] == [
        (5, "name"),
        (6, "id_number"),
        (7, "grid"),
        (8, "id_number"),
        (9, "id_number"),
        (10, "phone"),
    ]
    assert "row 2" in report.problems[3].reason
    with city.uow() as uow:
        assert residents.counts(uow) == {"enrolled": 3}
        again = residents.import_file(
            uow, source=data, filename="r.csv", principal=SYSTEM, consent_text_version="paper-2026"
        )
        uow.commit()
    assert (again.enrolled, again.unchanged, again.households_created) == (0, 3, 0)
    with city.uow() as uow:
        assert residents.counts(uow) == {"enrolled": 3}
        a = residents.resolve_id_number(uow, id_number=number(1980, 1))
        assert len(residents.household_members(uow, resident_id=a)) == 2


def test_xlsx_import(city: Container) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "id_number", "grid", "household", "phone"])
    for r in GOOD:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    with city.uow() as uow:
        report = residents.import_file(
            uow, source=buf.getvalue(), filename="r.xlsx", principal=SYSTEM, consent_text_version="v"
        )
    assert report.enrolled == 3 and not report.problems


def test_an_officer_imports_only_into_their_subtree(city: Container) -> None:
    with city.uow() as uow:
        report = residents.import_file(
            uow, source=_csv(GOOD).encode(), filename="r.csv", principal=VILLAGE_2, consent_text_version="v"
        )
    assert report.enrolled == 1
    assert [(p.row, p.field) for p in report.problems] == [(2, "grid"), (3, "grid")]


def test_worker_processes_give_the_same_result_as_one_process(
    city: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches prepared in worker processes (what a 600,000-row file uses) enrol exactly as inline."""
    monkeypatch.setattr(residents, "BATCH", 2)
    rows = [
        (i + 2, dict(zip(("name", "id_number", "grid", "household", "phone"), r, strict=True)))
        for i, r in enumerate(GOOD + BAD)
    ]
    with city.uow() as uow:
        report = residents.enrol_rows(uow, rows=rows, principal=SYSTEM, consent_text_version="v", workers=1)
        uow.commit()
    assert report.enrolled == 3
    assert [(p.row, p.field) for p in report.problems] == [
        (5, "name"),
        (6, "id_number"),
        (7, "grid"),
        (8, "id_number"),
        (9, "id_number"),
        (10, "phone"),
    ]
    with city.uow() as uow:
        rid = residents.resolve_id_number(uow, id_number=number(1980, 1))
        assert residents.find_by_phone(uow, phone="13800000001") == rid
        assert residents.get(uow, resident_id=rid, principal=SYSTEM, purpose="t").name == "张三"


def test_a_file_prepared_in_worker_processes(city: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's rows travel to the workers as cells and come back as the same enrolments."""
    monkeypatch.setattr(residents, "BATCH", 3)
    data = _csv(GOOD + BAD).encode("gb18030")
    with city.uow() as uow:
        report = residents.import_file(
            uow, source=data, filename="r.csv", principal=SYSTEM, consent_text_version="v"
        )
        uow.commit()
    assert report.enrolled == 3 and report.households_created == 1
    assert [(p.row, p.field) for p in report.problems] == [
        (5, "name"),
        (6, "id_number"),
        (7, "grid"),
        (8, "id_number"),
        (9, "id_number"),
        (10, "phone"),
    ]
