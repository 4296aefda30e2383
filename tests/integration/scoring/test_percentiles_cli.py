"""Percentiles from per-unit histograms (aggregates only), kept up to date by incremental runs; the CLI."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from moralbank.auth.domain import SYSTEM
from moralbank.cli import scoring as cli
from moralbank.cli.main import app
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from moralbank.scoring import repository, service
from tests.integration.scoring.world import G1, V1, build_town


def test_percentiles_in_grid_village_and_city(container) -> None:  # noqa: ANN001
    town = build_town(container)
    with container.uow() as uow:
        for n in range(10):  # ten more residents in grid G1, all at the base score
            residents.enrol(
                uow,
                principal=SYSTEM,
                name=f"居民{n}",
                id_number=make("330281", date(1990, 2, 1 + n), 31),
                grid=G1,
                consent_text_version="v1",
            )
        uow.commit()
    for days in (3, 10):
        town.post("zhang", "SM01", 5, days_ago=days)
    with container.uow() as uow:
        service.recompute(uow, full=True)
        uow.commit()
    with container.uow() as uow:
        p = service.percentiles(uow, grid_code=G1, total=70)
        # G1: 11 residents at 60, zhang at 70 -> above 11 of 12 (ties count half: himself)
        assert p["grid"] == round(100 * (11 + 0.5) / 12, 1)
        assert p["village"] is not None and p["city"] is not None
        d = repository.distributions(uow.db, [V1])[V1]
        assert d.residents == 13 and d.histogram == {"60": 12, "70": 1}
    town.post("li", "SM01", 5, days_ago=1)
    with container.uow() as uow:
        service.recompute(uow)
        uow.commit()
    with container.uow() as uow:
        assert repository.distributions(uow.db, [V1])[V1].histogram == {"60": 11, "65": 1, "70": 1}


def test_cli_recompute_and_show(container, monkeypatch) -> None:  # noqa: ANN001
    town = build_town(container)
    town.post("zhang", "SM01", 5)
    monkeypatch.setattr(cli, "container", lambda: container)
    runner = CliRunner()
    r = runner.invoke(app, ["score", "recompute", "--full", "--json"])
    assert r.exit_code == 0, r.output
    assert '"full": true' in r.stdout and '"residents": 4' in r.stdout
    r = runner.invoke(app, ["score", "show", town.ids["zhang"], "--json"])
    assert r.exit_code == 0 and '"total": 65' in r.stdout and '"ledger_seq": 1' in r.stdout
