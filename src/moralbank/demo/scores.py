"""Demo step: score every resident once the history is posted, so portraits and green codes show."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from moralbank.bootstrap import Container
from moralbank.scoring import service
from moralbank.scoring.models import Score


def build_scores(container: Container, *, scale: str, seed: int) -> str:  # noqa: ARG001 - deterministic
    """A full recompute as of the container's today (nothing random here: the seed shaped the ledger)."""
    with container.uow() as uow:
        summary = service.recompute(uow, full=True, notify=False)
        uow.commit()
    with container.uow(write=False) as uow:
        tiers = Counter(dict(uow.db.execute(select(Score.tier, func.count()).group_by(Score.tier)).all()))
    shares = ", ".join(f"{tier} {n}" for tier, n in sorted(tiers.items(), key=lambda kv: -kv[1]))
    return (
        f"scores: {summary.residents} residents scored (policy v{summary.policy_version}, ledger size "
        f"{summary.ledger_seq}): {shares}"
    )
