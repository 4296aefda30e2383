"""The demo city's return loop: the export to the public credit platform returns most residents'
records and withholds those of the few who did not consent."""

from __future__ import annotations

from pathlib import Path

from moralbank.bootstrap import Container
from moralbank.demo.city import build_city
from moralbank.demo.history import build_history
from moralbank.feeds import service as feeds


def test_the_export_returns_most_residents_records_and_withholds_the_rest(
    container: Container, tmp_path: Path
) -> None:
    build_city(container, scale="town", seed=2012)
    build_history(container, scale="town", seed=2012)
    with container.uow() as uow:
        manifest = feeds.export(uow, out_dir=tmp_path, actor="test")
        uow.commit()
    rows, withheld = manifest["rows"], manifest["withheld_without_consent"]
    assert rows > 3 * withheld > 0
