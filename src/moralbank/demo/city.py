"""Demo step 1: the policy, a city shaped like Yuyao, households, residents and their consents.

1 city (330281), the 21 real townships/streets, exactly 261 synthetic villages/communities and 1,459
grids; residents with ID numbers valid in form (Yuyao's division code, computed check character)
but invented, and names from a synthetic name generator. Scale ``town``: a few thousand residents
spread over every grid; ``yuyao``: 600,000 enrolled. Everything is deterministic from the seed
(the encryption keys and keyed hashes depend on the installation's keys, not on the seed).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.demo.names import person, place
from moralbank.kernel.clock import FixedClock, local_date
from moralbank.orgs import domain as orgs_domain
from moralbank.residents import idnumber

CITY = "330281"
VILLAGES = 261
GRIDS = 1459
RESIDENTS = {"town": 4_000, "yuyao": 600_000}
CONSENT_TEXT = "demo-2026.1"
# Share of residents who consent to each data interface / purpose (a realistic, partial uptake).
CONSENT_SHARES = {
    ("interface", "social_security"): 0.62,
    ("interface", "volunteer_hours"): 0.45,
    ("interface", "tax_credit"): 0.34,
    ("interface", "public_security_commendation"): 0.28,
    ("interface", "market_supervision"): 0.21,
    ("purpose", "bank_credit"): 0.27,
    ("purpose", "courtesy"): 0.48,
    ("purpose", "honour_roll"): 0.22,
    # Most share their records with the public credit platform (the export's return loop); the few
    # who do not show that the export withholds them.
    ("purpose", "public_credit"): 0.85,
}
OTHER_INTERFACE_SHARE = 0.1
"""Share for every other installed data interface."""


def townships_file() -> bytes:
    return resources.files("moralbank.orgs").joinpath("data/yuyao_townships.csv").read_bytes()


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible, the larger shares placed at random."""
    base, extra = divmod(total, parts)
    shares = [base + 1] * extra + [base] * (parts - extra)
    rng.shuffle(shares)
    return shares


def unit_rows(seed: int) -> list[tuple[int, dict[str, str]]]:
    """The villages/communities and grids under the real townships (import rows)."""
    from moralbank.kernel.tabular import read_table

    rng = random.Random(f"{seed}:orgs")
    townships = [
        r
        for _, r in read_table(townships_file(), filename="yuyao_townships.csv").rows
        if r["level"] == "township"
    ]
    rows: list[tuple[int, dict[str, str]]] = []
    used: set[str] = set()
    per_township = _split(VILLAGES, len(townships), rng)
    per_village = _split(GRIDS, VILLAGES, rng)
    k = 0
    for t, n_villages in zip(townships, per_township, strict=True):
        street = t["name_zh"].endswith("街道")
        for i in range(n_villages):
            # Statistical codes: communities from 001, villages from 200 (the NBS convention).
            number = (1 + i) if street or i < 2 else 200 + i
            code = f"{t['code']}{number:03d}"
            suffix = "社区" if street or i < 2 else "村"
            name = place(rng, used) + suffix
            rows.append(
                (
                    len(rows) + 2,
                    {"code": code, "name_zh": name, "name_en": "", "level": "village", "parent": t["code"]},
                )
            )
            for g in range(1, per_village[k] + 1):
                rows.append(
                    (
                        len(rows) + 2,
                        {
                            "code": orgs_domain.grid_code(code, g),
                            "name_zh": f"{name}第{g}网格",
                            "name_en": "",
                            "level": "grid",
                            "parent": code,
                        },
                    )
                )
            k += 1
    return rows


def resident_rows(seed: int, grids: list[str], total: int, today: date) -> list[tuple[int, dict[str, str]]]:
    """Households of 1–5 people spread over the grids; adults 14–90 (the default policy's minimum)."""
    rng = random.Random(f"{seed}:residents")
    used_ids: set[str] = set()
    per_grid = _split(total, len(grids), rng)
    rows: list[tuple[int, dict[str, str]]] = []
    start = today - timedelta(days=90 * 365)
    span = (today - timedelta(days=15 * 365) - start).days
    phone_base = 13_000_000_000
    for grid, n in zip(grids, per_grid, strict=True):
        h = 0
        left = n
        while left > 0:
            h += 1
            size = min(left, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)))
            left -= size
            household = f"{grid}-{h:04d}"
            surname = None
            for _ in range(size):
                while True:
                    number = idnumber.make(
                        CITY, start + timedelta(days=rng.randrange(span)), rng.randrange(1000)
                    )
                    if number not in used_ids:
                        used_ids.add(number)
                        break
                name = person(rng)
                if surname is None:
                    surname = name[0]
                elif rng.random() < 0.6:
                    name = surname + name[1:]
                phone = str(phone_base + len(rows) + 1) if rng.random() < 0.6 or not rows else ""
                rows.append(
                    (
                        len(rows) + 2,
                        {
                            "name": name,
                            "id_number": number,
                            "grid": grid,
                            "household": household,
                            "phone": phone,
                        },
                    )
                )
    return rows


ENROLLED_DAYS_AGO = 570
"""The demo city was set up this long ago, before the first deed of its history (demo/history.py,
540 days), so a resident's page never says they joined after their first ledger entry."""


@contextmanager
def at(container: Container, when: datetime) -> Iterator[None]:
    """Run the enclosed steps with the container's clock standing at ``when``."""
    clock = container.clock
    container.clock = FixedClock(when)
    try:
        yield
    finally:
        container.clock = clock


def enrolled_on(container: Container) -> datetime:
    """When the demo city was set up and its residents enrolled."""
    return container.clock.now() - timedelta(days=ENROLLED_DAYS_AGO)


def build_city(container: Container, *, scale: str, seed: int) -> str:
    """Apply the default policy, build the organisation tree and enrol the residents, as of
    ``ENROLLED_DAYS_AGO`` days ago."""
    with at(container, enrolled_on(container)):
        return _build_city(container, scale=scale, seed=seed)


def _build_city(container: Container, *, scale: str, seed: int) -> str:
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents

    with container.uow() as uow:
        try:
            from moralbank.policy import service as policy

            policy.ensure_installed(uow)
        except ImportError:  # pragma: no cover - policy always ships
            pass
        orgs.import_file(uow, source=townships_file(), filename="yuyao_townships.csv", actor=SYSTEM.actor)
        orgs.import_rows(uow, rows=unit_rows(seed), actor=SYSTEM.actor, file="demo-villages")
        uow.commit()
    with container.uow() as uow:
        grids = sorted(orgs.open_grids(uow))
        already = residents.counts(uow).get("enrolled", 0)
        today = local_date(uow.clock.now())
    rows = resident_rows(seed, grids, RESIDENTS[scale], today)
    with container.uow() as uow:
        report = residents.enrol_rows(
            uow,
            rows=rows,
            principal=SYSTEM,
            consent_text_version=CONSENT_TEXT,
            source="demo",
            file="demo",
            rng=random.Random(f"{seed}:ids"),
        )
        consents = 0
        if not already:
            consents = residents.record_consents(
                uow,
                records=_consents(uow, seed),
                text_version=CONSENT_TEXT,
                actor="demo:paper-form",
                note="synthetic demo consent",
            )
        uow.commit()
    with container.uow(write=False) as uow:
        levels = orgs.counts(uow)
        total = residents.counts(uow).get("enrolled", 0)
        sample = _samples(uow, rows)
    container.cache["demo_residents"] = sample
    who = f"; e.g. {sample[0]['name']} ({sample[0]['id']}, phone {sample[0]['phone']})" if sample else ""
    return (
        f"city: Yuyao-shaped (synthetic), {levels.get('township', 0)} townships, "
        f"{levels.get('village', 0)} villages/communities, {levels.get('grid', 0)} grids; "
        f"{total:,} residents enrolled ({report.enrolled:,} new, {report.households_created:,} households), "
        f"{consents:,} consent records{who}"
    )


ID_NUMBERS_PURPOSE = "生成演示城市的部门数据记录（演示）"


def id_numbers(container: Container, *, seed: int, resident_ids: Collection[str]) -> dict[str, str]:
    """Resident id → GB 11643 number of ``resident_ids``, for the department records the demo sends
    about them. The register keeps the numbers encrypted; the demo city's are regenerated from its
    seed (``resident_rows`` is deterministic) and resolved like any number, once per build (the
    container's cache). Residents who are not the demo city's (a test's small city) are read through
    the logged export, with the purpose stated."""
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents

    with container.uow(write=False) as uow:
        enrolled = residents.counts(uow).get("enrolled", 0)
        known = container.cache.get("demo_id_numbers", {}).get((seed, enrolled), {})
        if not known and enrolled in RESIDENTS.values():
            grids = sorted(orgs.open_grids(uow))
            rows = resident_rows(seed, grids, enrolled, local_date(enrolled_on(container)))
            found = residents.resolve_id_numbers(uow, id_numbers=[r["id_number"] for _, r in rows])
            known = {rid: number for number, rid in found.items()}
            container.cache["demo_id_numbers"] = {(seed, enrolled): known}  # the next steps ask again
    numbers = {rid: known[rid] for rid in resident_ids if rid in known}
    missing = sorted(set(resident_ids) - numbers.keys())
    if missing:
        with container.uow() as uow:
            for rid in missing:
                data = residents.export(uow, resident_id=rid, principal=SYSTEM, purpose=ID_NUMBERS_PURPOSE)
                if number := data["profile"].get("id_number"):
                    numbers[rid] = number
            uow.commit()
    return numbers


def _consents(uow: Any, seed: int) -> list[tuple[str, str, str, bool]]:
    from moralbank.residents import service as residents

    rng = random.Random(f"{seed}:consents")
    catalogue = residents.consent_catalogue()
    shares = [
        (
            kind,
            subject,
            CONSENT_SHARES.get((kind, subject), OTHER_INTERFACE_SHARE if kind == "interface" else 0.0),
        )
        for kind in ("interface", "purpose")
        for subject in catalogue[kind]
    ]
    out = []
    for item in residents.list_ids(uow):
        rid = item["id"]
        for kind, subject, p in shares:
            if rng.random() < p:
                out.append((rid, kind, subject, True))
    return out


def _samples(uow: Any, rows: list[tuple[int, dict[str, str]]]) -> list[dict[str, str]]:
    """A few residents with phones, for signing in as a resident in the demo."""
    from moralbank.residents import service as residents

    out = []
    for _, row in rows[:50]:
        if row["phone"]:
            rid = residents.resolve_id_number(uow, id_number=row["id_number"])
            if rid:
                out.append({"id": rid, "name": row["name"], "phone": row["phone"], "grid": row["grid"]})
        if len(out) >= 5:
            break
    return out
