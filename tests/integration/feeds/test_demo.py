"""The demo step writes and imports a sample file for every interface, with some bad rows."""

from __future__ import annotations

from moralbank.auth.domain import SYSTEM
from moralbank.demo.feeds import build_feeds
from moralbank.feeds import service as feeds

from .conftest import City


def test_demo_step_fills_every_interface_and_the_quarantine(city: City) -> None:
    line = build_feeds(city.container, scale="town", seed=7)
    assert line.startswith("feeds: 18 interfaces")
    with city.container.uow(write=False) as uow:
        health = feeds.health(uow)
        quarantined = feeds.quarantine_list(uow, principal=SYSTEM)
    assert all(h["received"] == 40 for h in health)
    assert len(quarantined) >= 18
    # deterministic: the same seed again takes nothing new
    again = build_feeds(city.container, scale="town", seed=7)
    assert "0 accepted" in again
