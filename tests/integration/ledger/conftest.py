from __future__ import annotations

from datetime import date, timedelta

import pytest

from moralbank.ledger import service
from moralbank.ledger.domain import NewEntry

RESIDENTS = ("R7K3Q9X2M4P0A", "R0AB12CD34EF5", "R9ZZ88YY77XX6")


def deed(i: int, resident: str | None = None, **kw) -> NewEntry:
    base = dict(
        resident_id=resident or RESIDENTS[i % 3],
        indicator=f"SG0{i % 5}",
        aspect="social_morality",
        points=(i % 7) - 2 or 1,
        deed_date=date(2026, 1, 1) + timedelta(days=i % 300),
        source="evaluation",
        actor=f"user:{i % 4}",
        policy_version="2026.1",
        reason=f'第{i}件好事 "quoted"\n',
        evidence=(f"photo:{i}",) if i % 2 else (),
    )
    base.update(kw)
    return NewEntry(**base)


def name_and_hash(key: str) -> str:
    """What people read out of a verifier key ``name+hash+base64``: its name and hash."""
    return "+".join(key.split("+", 2)[:2])


@pytest.fixture
def ledger(container):
    """A ledger of 37 entries posted in batches of 1, 5, 10 and 21 (so 4 checkpoints), with a
    correction."""
    with container.uow() as uow:
        service.post(uow, [deed(0)])
        service.post(uow, [deed(i) for i in range(1, 6)])
        service.post(uow, [deed(i) for i in range(6, 16)])
        service.post(
            uow,
            [deed(i) for i in range(16, 36)]
            + [
                deed(36, resident=RESIDENTS[0], points=-1, source="correction", reverses_seq=1, reason="更正")
            ],
        )
        uow.commit()
    return container
