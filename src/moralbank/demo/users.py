"""Demo step 2: one account per role, and how to sign in as each.

The passwords and the feed token are **known demo values** (derived from nothing secret): fine for a
demo on a laptop, never for a real installation — there, accounts are made with ``moralbank users
create`` and tokens with ``moralbank users token create``.
"""

from __future__ import annotations

import random
from contextlib import suppress

from moralbank.auth.domain import Principal, Role
from moralbank.bootstrap import Container
from moralbank.errors import Conflict, NotAuthenticated

DEMO_PASSWORD = "moralbank-demo"
"""Every demo account's password (demo only)."""
FEED_INTERFACE = "volunteer_hours"  # an interface that accepts pushes
FEED_NAME = "文明办志愿服务平台（演示）"


def staff(role: Role, unit: str, path: str, n: int) -> Principal:
    """A synthetic member of staff at a unit, without an account: who decides what the demo's history
    and the items in flight needed a person for."""
    return Principal(
        kind="user",
        id=f"demo-{role.value}-{unit}-{n}",
        role=role,
        display_name=f"demo {role.value}",
        unit_code=unit,
        unit_path=path,
    )


def _accounts(village: str, grid: str) -> list[tuple[str, str, Role, str | None]]:
    township = village[:9]
    city = village[:6]
    return [
        ("admin", "市级管理员（演示）", Role.CITY_ADMIN, None),
        ("township", "镇街干部（演示）", Role.TOWNSHIP_OFFICER, township),
        ("village", "村社干部（演示）", Role.VILLAGE_OFFICER, village),
        ("grid", "网格员（演示）", Role.GRID_WORKER, grid),
        ("auditor", "审计员（演示）", Role.AUDITOR, None),
        ("bank", "农商银行信贷员（演示）", Role.BANK_STAFF, city),
        ("provider", "礼遇商家（演示）", Role.PROVIDER_STAFF, city),
    ]


def _demo_places(container: Container) -> tuple[str, str, dict[str, str] | None]:
    """(village, grid, sample resident): the first demo resident with a phone, and where they live."""
    from moralbank.orgs import service as orgs

    sample = (container.cache.get("demo_residents") or [None])[0]
    if sample:
        grid = sample["grid"]
        with container.uow(write=False) as uow:
            village = orgs.get(uow, code=grid).parent_code
        assert village is not None
        return village, grid, sample
    with container.uow(write=False) as uow:
        grid_unit = orgs.list(uow, level="grid")[0]
        assert grid_unit.parent_code is not None
        return grid_unit.parent_code, grid_unit.code, None


def build_users(container: Container, *, scale: str, seed: int) -> str:  # noqa: ARG001 - same for every scale
    """Create the demo accounts (skipping those that exist) and return how to sign in as each role."""
    from moralbank.auth import service as auth

    village, grid, resident = _demo_places(container)
    rng = random.Random(f"{seed}:feed-token")
    feed_token = "mbt_demo_" + "".join(
        rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(32)
    )
    with container.uow() as uow:
        for username, name, role, unit in _accounts(village, grid):
            with suppress(Conflict):  # built before: keep it
                auth.create_user(
                    uow,
                    username=username,
                    display_name=name,
                    role=role,
                    unit_code=unit,
                    password=DEMO_PASSWORD,
                )
        try:
            auth.principal_for_token(uow, token=feed_token)  # built before with this seed
        except NotAuthenticated:
            auth.create_token(
                uow,
                name=FEED_NAME,
                role=Role.DEPARTMENT_FEED,
                scopes={f"feeds:push:{FEED_INTERFACE}"},
                unit_code=village[:6],
                token=feed_token,
                created_by="demo",
            )
        uow.commit()

    lines = [f"sign in (demo accounts, password '{DEMO_PASSWORD}' for all; demo only, never in production):"]
    for username, name, role, unit in _accounts(village, grid):
        where = f", {unit}" if unit else ""
        lines.append(f"  {role.value:<17} /login  user '{username}'  ({name}{where})")
    if resident:
        lines.append(
            f"  {'resident':<17} /login/resident  phone {resident['phone']} ({resident['name']}, "
            f"{resident['id']}); the one-time code is written to the log"
        )
    lines.append(
        f"  {'department_feed':<17} Authorization: Bearer {feed_token}  (feeds:push:{FEED_INTERFACE})"
    )
    return "\n".join(lines)
