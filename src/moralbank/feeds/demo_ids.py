"""ID numbers of enrolled residents, for writing sample department files (demo, ``feeds sample``).

The register keeps ID numbers encrypted and shows staff only masked ones. For the demo city they can
be regenerated from its seed (``moralbank.demo.city.resident_rows`` is deterministic); a few are checked
against the register. Otherwise the full number comes out only through ``residents.service.export``,
which checks scope and writes the access log — so every number read for a sample file is a logged
read by the system, with the purpose stated.
"""

from __future__ import annotations

import random
from typing import Any

PURPOSE = "生成部门数据接口样例文件（演示）"


def _from_demo_seed(container: Any, seed: int) -> list[str]:
    try:
        from moralbank.demo import city
    except ImportError:  # pragma: no cover - the demo always ships
        return []
    from moralbank.kernel.clock import local_date
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents

    with container.uow(write=False) as uow:
        enrolled = residents.counts(uow).get("enrolled", 0)
        total = next((n for n in city.RESIDENTS.values() if n == enrolled), None)
        if total is None:
            return []
        grids = sorted(orgs.open_grids(uow))
        rows = city.resident_rows(seed, grids, total, local_date(uow.clock.now()))
        numbers = [r["id_number"] for _, r in rows]
        probe = random.Random(seed).sample(numbers, min(3, len(numbers)))
        if all(residents.resolve_id_number(uow, id_number=n) for n in probe):
            return numbers
    return []


def id_numbers(container: Any, *, limit: int, seed: int = 1, demo_seed: int = 2012) -> list[str]:
    """Up to ``limit`` ID numbers of enrolled residents, chosen with ``seed``."""
    numbers = _from_demo_seed(container, demo_seed)
    rng = random.Random(seed)
    if numbers:
        return rng.sample(numbers, min(limit, len(numbers)))
    from moralbank.auth.domain import SYSTEM
    from moralbank.residents import service as residents

    with container.uow() as uow:
        listed = residents.list_ids(uow, limit=limit * 3)
        out = []
        for r in rng.sample(listed, min(limit, len(listed))):
            data = residents.export(uow, resident_id=r["id"], principal=SYSTEM, purpose=PURPOSE)
            number = data.get("profile", {}).get("id_number")
            if number:
                out.append(number)
        uow.commit()
    return out
