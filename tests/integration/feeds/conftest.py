"""A small city for feed tests: one grid, ten residents. Residents 0-7 consented to every interface
that needs consent; resident 8 to all but volunteer_hours; resident 9 to none."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.feeds import domain, samples
from moralbank.feeds import service as feeds
from moralbank.kernel.clock import local_date
from moralbank.orgs import service as orgs
from moralbank.policy import service as policy
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make

UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    ("330281001001", "一村", "village", "330281001"),
    ("330281001001-G01", "一村一格", "grid", "330281001001"),
]


@dataclass
class City:
    container: Container
    id_numbers: list[str]
    resident_ids: list[str]

    @property
    def today(self) -> date:
        return local_date(self.container.clock.now())

    def write(
        self,
        path: Path,
        interface: str,
        n: int,
        *,
        seed: int = 1,
        bad: int = 0,
        encoding: str = "utf-8",
        people: list[str] | None = None,
    ) -> Path:
        iface = feeds.get_interface(interface)
        samples.write(
            path,
            iface,
            samples.rows(iface, people or self.id_numbers[:8], n, seed=seed, today=self.today, bad=bad),
            encoding=encoding,
        )
        return path

    def admin_client(self) -> Any:
        """A web client signed in as the city administrator (redirects not followed)."""
        from fastapi.testclient import TestClient

        from moralbank.auth import service as auth
        from moralbank.auth.domain import Role
        from moralbank.web.app import create_app
        from moralbank.web.deps import SESSION_COOKIE

        with self.container.uow() as uow:
            auth.create_user(
                uow,
                username="admin",
                display_name="市管理员",
                role=Role.CITY_ADMIN,
                password="a long password 1",
            )
            s = auth.user_session(uow, username="admin")
            uow.commit()
        client = TestClient(create_app(self.container), follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, s.token)
        return client

    def quarantined(self, reason: str, interface: str = "blood_donation") -> dict[str, Any]:
        """The first quarantined row of ``interface`` with ``reason``."""
        with self.container.uow(write=False) as uow:
            rows = feeds.quarantine_list(uow, principal=SYSTEM, interface=interface)
        return next(r for r in rows if r["reason"] == reason)


def build_city(container: Container) -> City:
    numbers = [make("330281", date(1975 + i, 3, 1 + i), 21 + 2 * i) for i in range(10)]
    with container.uow() as uow:
        policy.ensure_installed(uow)
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        ids = [
            residents.enrol(
                uow,
                principal=SYSTEM,
                name=f"居民{i}",
                id_number=n,
                grid="330281001001-G01",
                consent_text_version="v1",
            )
            for i, n in enumerate(numbers)
        ]
        needing = [i.name for i in feeds.list_interfaces() if i.consent_required]
        records = [(ids[r], "interface", name, True) for r in range(8) for name in needing]
        records += [(ids[8], "interface", name, True) for name in needing if name != "volunteer_hours"]
        records += [(ids[r], "purpose", "public_credit", True) for r in range(8)]
        residents.record_consents(uow, records=records, text_version="v1", actor="test")
        uow.commit()
    return City(container, numbers, ids)


@pytest.fixture
def city(container: Container) -> City:
    return build_city(container)


READING_BROKE_OFF = "the file cannot be read any further"


def break_off_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """File imports read one row, then the file cannot be read any further (a disk gone, say): an error
    that stops an import half-way, as a bad row no longer does."""
    read_rows = domain.read_rows

    def one_row_then_gone(path: Path, **kwargs: Any) -> Iterator[domain.RawRow]:
        rows = read_rows(path, **kwargs)
        yield next(rows)
        raise OSError(READING_BROKE_OFF)

    monkeypatch.setattr(domain, "read_rows", one_row_then_gone)


@pytest.fixture
def admin(city: City, tmp_path: Path) -> Any:
    """The city administrator's web client, after a blood-donation file of 20 rows, 9 of them bad
    (modules that need other arrivals define their own ``admin``)."""
    from moralbank.feeds.importer import import_file

    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9),
    )
    return city.admin_client()
