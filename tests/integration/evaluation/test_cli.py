import json
from datetime import date, datetime

from typer.testing import CliRunner

from moralbank.cli import common
from moralbank.cli.evaluation import app
from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.kernel.clock import CHINA

from .conftest import PNG


def test_process_due_and_overdue(world, monkeypatch):
    w = world
    monkeypatch.setattr(common, "container", lambda: w.container)
    with w.container.uow() as uow:
        row = ev.propose_deduction(
            uow,
            principal=w.officer,
            resident_id=w.ids["A"],
            indicator="PE04",
            points=20,
            deed_date=date(2026, 11, 20),
            description="违约",
            uploads=[Upload("p.png", PNG)],
        )
        ev.approve(uow, principal=w.officer_b, item_id=row.id)
        ev.submit(
            uow, principal=w.resident("B"), indicator="FV01", deed_date=date(2026, 11, 24), description="x"
        )
        uow.commit()
    w.container.clock.set(datetime(2026, 12, 2, 9, tzinfo=CHINA))
    runner = CliRunner()
    result = runner.invoke(app, ["overdue", "--json"])
    assert result.exit_code == 0, result.output
    assert [i["indicator"] for i in json.loads(result.stdout)["items"]] == ["FV01"]
    result = runner.invoke(app, ["process-due"])
    assert result.exit_code == 0 and "posted 1" in result.output
    with w.container.uow() as uow:
        assert ev.get(uow, principal=w.officer, item_id=row.id).state == "posted"
