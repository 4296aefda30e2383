"""The demo step scores every enrolled resident."""

from __future__ import annotations

from moralbank.demo.scores import build_scores
from moralbank.scoring import repository
from tests.integration.scoring.world import build_town


def test_build_scores_scores_everyone_enrolled(container) -> None:  # noqa: ANN001
    town = build_town(container)
    for days in (3, 10, 20, 30):
        town.post("zhang", "SM01", 5, days_ago=days)
    line = build_scores(container, scale="town", seed=1)
    assert "4 residents scored" in line and "green 1" in line and "standard 3" in line
    with container.uow() as uow:
        assert repository.get(uow.db, town.ids["wang"]).total == 60
        assert repository.get(uow.db, town.ids["wang"]).grid_code == "330281001001-G02"
