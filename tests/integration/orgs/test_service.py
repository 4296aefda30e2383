"""The organisation tree on SQLite and PostgreSQL: create, rename, move, close, import, export."""

from __future__ import annotations

from datetime import date

import pytest

from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.errors import Conflict, InvalidInput
from moralbank.orgs import service as orgs
from moralbank.residents import idnumber
from moralbank.residents import service as residents

TOWNSHIPS = (
    "code,name_zh,name_en,level,parent\n330281,余姚市,Yuyao,city,\n330281001,梨洲街道,Lizhou,township,330281\n"
    "330281002,凤山街道,Fengshan,township,330281\n"
)


@pytest.fixture
def city(container: Container) -> Container:
    with container.uow() as uow:
        orgs.import_file(uow, source=TOWNSHIPS.encode(), filename="t.csv", actor="test")
        orgs.create(
            uow, code="330281001001", name_zh="光明社区", level="village", parent="330281001", actor="t"
        )
        orgs.create(
            uow, code="330281001001-G01", name_zh="一网格", level="grid", parent="330281001001", actor="t"
        )
        orgs.create(
            uow, code="330281001001-G02", name_zh="二网格", level="grid", parent="330281001001", actor="t"
        )
        uow.commit()
    return container


def test_move_rewrites_the_whole_subtree_and_keeps_history(city: Container) -> None:
    with city.uow() as uow:
        orgs.move(uow, code="330281001001", parent="330281002", actor="user:1")
        uow.commit()
    with city.uow() as uow:
        assert (
            orgs.path_of(uow, code="330281001001-G02") == "/330281/330281002/330281001001/330281001001-G02/"
        )
        assert [u.code for u in orgs.subtree(uow, code="330281001")] == ["330281001"]
        assert {u.code for u in orgs.subtree(uow, code="330281002", level="grid")} == {
            "330281001001-G01",
            "330281001001-G02",
        }
        moves = [(e.kind, e.old_value, e.new_value, e.actor) for e in orgs.history(uow, code="330281001001")]
        assert ("move", "330281001", "330281002", "user:1") in moves


def test_a_grid_cannot_move_under_a_township(city: Container) -> None:
    with city.uow() as uow, pytest.raises(InvalidInput, match="sits under a village"):
        orgs.move(uow, code="330281001001-G01", parent="330281002", actor="t")


def test_rename_keeps_the_old_name(city: Container) -> None:
    with city.uow() as uow:
        orgs.rename(uow, code="330281001001", name_zh="光明村", actor="t")
        uow.commit()
        assert orgs.get(uow, code="330281001001").name_zh == "光明村"
        assert [(e.kind, e.old_value, e.new_value) for e in orgs.history(uow, code="330281001001")][-1] == (
            "rename",
            "光明社区",
            "光明村",
        )


def test_close_refuses_while_children_or_residents_remain(city: Container) -> None:
    with city.uow() as uow:
        with pytest.raises(Conflict, match="open unit"):
            orgs.close(uow, code="330281001001", actor="t")
        residents.enrol(
            uow,
            principal=SYSTEM,
            name="张三",
            id_number=idnumber.make("330281", date(1970, 1, 1), 1),
            grid="330281001001-G01",
            consent_text_version="v1",
        )
        with pytest.raises(Conflict, match="1 enrolled resident"):
            orgs.close(uow, code="330281001001-G01", actor="t")
        orgs.close(uow, code="330281001001-G02", actor="t")
        uow.commit()
    with city.uow() as uow:
        assert orgs.get(uow, code="330281001001-G02").closed_at is not None
        assert "330281001001-G02" not in orgs.open_grids(uow)
        with pytest.raises(Conflict, match="closed"):
            orgs.rename(uow, code="330281001001-G02", name_zh="九", actor="t")
        with pytest.raises(Conflict, match="already closed"):
            orgs.close(uow, code="330281001001-G02", actor="t")


IMPORT = (
    "代码,名称,层级,上级\n"
    "330281001002-G01,新网格,网格,330281001002\n"  # child before its parent in the file
    "330281001002,新村,村,330281001\n"
    "330281001003,,village,330281001\n"  # no name
    "330281009001,远村,village,330281009\n"  # unknown parent
    "330281001004,错村,grid,330281001\n"  # a grid under a township, bad code form
)


def test_import_reports_bad_rows_applies_good_ones_and_is_idempotent(city: Container) -> None:
    with city.uow() as uow:
        report = orgs.import_file(uow, source=IMPORT.encode("gb18030"), filename="units.csv", actor="t")
        uow.commit()
    assert report.created == 2
    assert {(p.row, p.field) for p in report.problems} == {
        (4, "name_zh"),
        (5, "parent"),
        (6, "code"),
        (6, "parent"),
    }
    with city.uow() as uow:
        assert (
            orgs.path_of(uow, code="330281001002-G01") == "/330281/330281001/330281001002/330281001002-G01/"
        )
        again = orgs.import_file(uow, source=IMPORT.encode("gb18030"), filename="units.csv", actor="t")
        uow.commit()
    assert again.created == 0 and again.updated == 0 and again.unchanged == 2


def test_export_has_the_contract_shape(city: Container) -> None:
    with city.uow() as uow:
        units = orgs.export(uow)
    assert {
        "code": "330281001001-G01",
        "name": "一网格",
        "name_en": "",
        "level": "grid",
        "parent": "330281001001",
    } in units
    assert {u["level"] for u in units} == {"city", "township", "village", "grid"}
