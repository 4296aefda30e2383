"""ID numbers of enrolled residents, for writing sample department files (demo, ``feeds sample``).

The register keeps ID numbers encrypted and shows staff only masked ones; the full number comes out
only through ``residents.service.export``, which checks scope and writes the access log. So every
number used for a sample file is a logged read by the system, with the purpose stated.
"""

from __future__ import annotations

import random
from typing import Any

PURPOSE = "生成部门数据接口样例文件（演示）"


def id_numbers(container: Any, *, limit: int, seed: int = 1) -> list[str]:
    from moralbank.auth.domain import SYSTEM
    from moralbank.residents import service as residents

    with container.uow() as uow:
        listed = residents.list_ids(uow, limit=max(limit * 3, limit))
        rng = random.Random(seed)
        chosen = rng.sample(listed, min(limit, len(listed)))
        out = []
        for r in chosen:
            data = residents.export(uow, resident_id=r["id"], principal=SYSTEM, purpose=PURPOSE)
            number = data.get("profile", {}).get("id_number")
            if number:
                out.append(number)
        uow.commit()
    return out
