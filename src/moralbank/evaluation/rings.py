"""Reciprocal confirmation rings in grid mutual evaluation, flagged to the village officer."""

from __future__ import annotations

from datetime import timedelta

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.evaluation import domain as d
from moralbank.evaluation import repository as repo
from moralbank.evaluation.core import (
    REVIEWERS,
    RING_LOOKBACK_DAYS,
    rules,
)
from moralbank.evaluation.models import (
    RingFlag,
)


def scan_rings(uow: UnitOfWork, *, village_path: str) -> list[RingFlag]:
    """Find reciprocal confirmation rings among residents under a village and flag new ones."""
    rules_ = rules(uow)
    since = uow.clock.now() - timedelta(days=RING_LOOKBACK_DAYS)
    rings = d.find_rings(
        repo.resident_confirmations(uow.db, path_prefix=village_path, since=since),
        min_each=rules_.ring_min_confirmations,
        max_length=rules_.ring_max_length,
    )
    flagged = []
    for ring in rings:
        evidence = [[a, b, list(ids)] for (a, b), ids in ring.edges.items()]
        flag = repo.ring(uow.db, ring.key)
        now = uow.clock.now()
        if flag is None:
            flag = RingFlag(
                resident_id=ring.members[0],
                village_path=village_path,
                members_key=ring.key,
                members=list(ring.members),
                evidence=evidence,
                status="open",
                created_at=now,
                updated_at=now,
            )
            repo.add(uow.db, flag)
        elif flag.evidence != evidence:
            flag.evidence, flag.updated_at = evidence, now
            if flag.status == "dismissed":
                flag.status = "open"  # new deeds since it was dismissed: look again
        flagged.append(flag)
    return flagged


def ring_flags(uow: UnitOfWork, *, principal: Principal, status: str | None = "open") -> list[RingFlag]:
    if principal.role not in (*REVIEWERS, Role.AUDITOR):
        raise PermissionDenied("ring flags are for officers")
    return repo.rings_in(uow.db, principal.unit_path, status)


def review_ring(uow: UnitOfWork, *, principal: Principal, flag_id: int, status: str, note: str) -> RingFlag:
    """The officer marks a flag ``confirmed`` (gaming: act on the deeds) or ``dismissed``, with a note."""
    flag = repo.ring_by_id(uow.db, flag_id)
    if flag is None or principal.role not in REVIEWERS or not principal.covers(flag.village_path):
        raise NotFound(f"no ring flag {flag_id}")
    if status not in ("confirmed", "dismissed"):
        raise InvalidInput(Problem("status is confirmed or dismissed", field="status"))
    if not note.strip():
        raise InvalidInput(Problem("say why", field="note"))
    flag.status, flag.note, flag.reviewed_by, flag.updated_at = (
        status,
        note.strip(),
        principal.actor,
        uow.clock.now(),
    )
    return flag
