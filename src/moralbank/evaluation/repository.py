"""Every query of the evaluation capability."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from moralbank.db.lists import chunks, one_of
from moralbank.evaluation.models import (
    EvaluationEvent,
    EvaluationItem,
    EvaluationVote,
    EvidenceFile,
    Objection,
    RingFlag,
)


def add(db: Session, row: object) -> None:
    db.add(row)
    db.flush()


def item(db: Session, item_id: int, *, lock: bool = False) -> EvaluationItem | None:
    q = select(EvaluationItem).where(EvaluationItem.id == item_id)
    if lock:
        q = q.with_for_update()
    return db.scalars(q).first()


def item_by_record(db: Session, interface: str, source_ref: str) -> EvaluationItem | None:
    return db.scalars(
        select(EvaluationItem).where(
            EvaluationItem.interface == interface, EvaluationItem.source_ref == source_ref
        )
    ).first()


def item_by_seq(db: Session, seq: int) -> EvaluationItem | None:
    return db.scalars(select(EvaluationItem).where(EvaluationItem.posted_seq == seq)).first()


def votes(db: Session, item_id: int) -> list[EvaluationVote]:
    return list(
        db.scalars(
            select(EvaluationVote).where(EvaluationVote.item_id == item_id).order_by(EvaluationVote.id)
        )
    )


def files(db: Session, item_id: int) -> list[EvidenceFile]:
    return list(
        db.scalars(select(EvidenceFile).where(EvidenceFile.item_id == item_id).order_by(EvidenceFile.id))
    )


def file_by_hash(db: Session, sha256: str) -> list[EvidenceFile]:
    return list(db.scalars(select(EvidenceFile).where(EvidenceFile.sha256 == sha256)))


def events(
    db: Session, *, item_id: int | None = None, objection_id: int | None = None
) -> list[EvaluationEvent]:
    q = select(EvaluationEvent)
    if item_id is not None:
        q = q.where(EvaluationEvent.item_id == item_id)
    if objection_id is not None:
        q = q.where(EvaluationEvent.objection_id == objection_id)
    return list(db.scalars(q.order_by(EvaluationEvent.id)))


def items_of(db: Session, resident_id: str, limit: int = 200) -> list[EvaluationItem]:
    return list(
        db.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.resident_id == resident_id)
            .order_by(EvaluationItem.id.desc())
            .limit(limit)
        )
    )


def items_in(
    db: Session, *, states: list[str], path_prefix: str | None, grid_code: str | None = None, limit: int = 500
) -> list[EvaluationItem]:
    q = select(EvaluationItem).where(EvaluationItem.state.in_(states))
    if path_prefix:
        q = q.where(EvaluationItem.unit_path.startswith(path_prefix, autoescape=True))
    if grid_code:
        q = q.where(EvaluationItem.grid_code == grid_code)
    return list(db.scalars(q.order_by(EvaluationItem.due_on, EvaluationItem.id).limit(limit)))


def overdue_items(
    db: Session, *, today: date, path_prefix: str | None, limit: int = 500
) -> list[EvaluationItem]:
    q = select(EvaluationItem).where(
        EvaluationItem.due_on.is_not(None),
        EvaluationItem.due_on < today,
        EvaluationItem.state.in_(["grid_review", "village_review", "confirm_review"]),
    )
    if path_prefix:
        q = q.where(EvaluationItem.unit_path.startswith(path_prefix, autoescape=True))
    return list(db.scalars(q.order_by(EvaluationItem.due_on, EvaluationItem.id).limit(limit)))


def notices_due(db: Session, today: date) -> list[EvaluationItem]:
    return list(
        db.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.state == "notice", EvaluationItem.effective_on <= today)
            .order_by(EvaluationItem.id)
        )
    )


def submissions_since(db: Session, resident_id: str, since: datetime) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(EvaluationItem)
            .where(
                EvaluationItem.resident_id == resident_id,
                EvaluationItem.origin.in_(["self", "assisted"]),
                EvaluationItem.created_at >= since,
            )
        )
        or 0
    )


def votes_since(db: Session, voter: str, since: datetime) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(EvaluationVote)
            .where(EvaluationVote.voter == voter, EvaluationVote.at >= since)
        )
        or 0
    )


def used_in_period(
    db: Session,
    resident_id: str,
    indicator: str,
    since: date,
    until: date,
    exclude_id: int | None = None,
    pending: bool = False,
) -> tuple[int, int]:
    """Points and count already approved or posted for an indicator since a deed date (with
    ``pending``, also the ones still on their way: deductions count from the moment they are proposed)."""
    states = ["approved", "posted"]
    if pending:
        states += ["village_review", "confirm_review", "notice", "disputed"]
    q = select(func.coalesce(func.sum(EvaluationItem.points), 0), func.count()).where(
        EvaluationItem.resident_id == resident_id,
        EvaluationItem.indicator == indicator,
        EvaluationItem.state.in_(states),
        EvaluationItem.deed_date >= since,
        EvaluationItem.deed_date < until,
    )
    if exclude_id is not None:
        q = q.where(EvaluationItem.id != exclude_id)
    points, count = db.execute(q).one()
    return int(points), int(count)


def resident_confirmations(db: Session, *, path_prefix: str, since: datetime) -> list[tuple[str, str, int]]:
    """(confirmer resident, deed owner, item id) for residents' confirmations under a unit."""
    q = (
        select(EvaluationVote.voter_resident_id, EvaluationItem.resident_id, EvaluationItem.id)
        .join(EvaluationItem, EvaluationItem.id == EvaluationVote.item_id)
        .where(
            EvaluationVote.confirm.is_(True),
            EvaluationVote.voter_resident_id.is_not(None),
            EvaluationVote.at >= since,
            EvaluationItem.unit_path.startswith(path_prefix, autoescape=True),
        )
    )
    return [(a, b, c) for a, b, c in db.execute(q)]


def pair_confirmations(db: Session, *, confirmer: str, owner: str, since: datetime) -> int:
    """How often one resident confirmed another's deeds since a time."""
    q = (
        select(func.count())
        .select_from(EvaluationVote)
        .where(
            EvaluationVote.voter_resident_id == confirmer,
            EvaluationVote.resident_id == owner,
            EvaluationVote.confirm.is_(True),
            EvaluationVote.at >= since,
        )
    )
    return db.scalar(q) or 0


def ring(db: Session, members_key: str) -> RingFlag | None:
    return db.scalars(select(RingFlag).where(RingFlag.members_key == members_key)).first()


def ring_by_id(db: Session, flag_id: int) -> RingFlag | None:
    return db.get(RingFlag, flag_id)


def rings_in(db: Session, path_prefix: str | None, status: str | None = "open") -> list[RingFlag]:
    q = select(RingFlag)
    if path_prefix:
        q = q.where(RingFlag.village_path.startswith(path_prefix, autoescape=True))
    if status:
        q = q.where(RingFlag.status == status)
    return list(db.scalars(q.order_by(RingFlag.id)))


def objection(db: Session, objection_id: int, *, lock: bool = False) -> Objection | None:
    q = select(Objection).where(Objection.id == objection_id)
    if lock:
        q = q.with_for_update()
    return db.scalars(q).first()


def open_objection_on(
    db: Session,
    *,
    item_id: int | None = None,
    ledger_seq: int | None = None,
    kinds: tuple[str, ...] = ("objection", "human_review", "repair"),
) -> Objection | None:
    conds = []
    if item_id is not None:
        conds.append(Objection.item_id == item_id)
    if ledger_seq is not None:
        conds.append(Objection.ledger_seq == ledger_seq)
    return db.scalars(
        select(Objection).where(Objection.state == "open", Objection.kind.in_(kinds), or_(*conds))
    ).first()


def objections_of(db: Session, resident_id: str) -> list[Objection]:
    return list(
        db.scalars(
            select(Objection).where(Objection.resident_id == resident_id).order_by(Objection.id.desc())
        )
    )


def objections_in(db: Session, *, path_prefix: str | None, state: str | None = "open") -> list[Objection]:
    q = select(Objection)
    if state:
        q = q.where(Objection.state == state)
    if path_prefix:
        q = q.where(Objection.unit_path.startswith(path_prefix, autoescape=True))
    return list(db.scalars(q.order_by(Objection.decide_due, Objection.id)))


def disputed_seqs(db: Session, seqs: list[int]) -> set[int]:
    if not seqs:
        return set()
    return set(
        db.scalars(
            select(Objection.ledger_seq).where(Objection.state == "open", Objection.ledger_seq.in_(seqs))
        )
    )


# -- set-based work for big-data batches (evaluation.records) ---------------------------------------

BULK_CHUNK = 10_000  # bound parameters per IN (...), far below SQLite's 32,766


def interfaces_of(db: Session, item_ids: list[int]) -> dict[int, str]:
    """item id → the interface its record came from, for the items among ``item_ids`` that have one."""
    dialect = db.get_bind().dialect
    out: dict[int, str] = {}
    for chunk in chunks(dialect, list(dict.fromkeys(item_ids)), BULK_CHUNK):
        rows = db.execute(
            select(EvaluationItem.id, EvaluationItem.interface).where(
                one_of(dialect, EvaluationItem.id, chunk), EvaluationItem.interface.is_not(None)
            )
        )
        out.update({iid: iface for iid, iface in rows})
    return out


def items_by_records(
    db: Session, interface: str, source_refs: list[str]
) -> dict[str, tuple[int, str, int | None]]:
    """source_ref → (item id, state, posted_seq) of the refs of ``interface`` already proposed."""
    out: dict[str, tuple[int, str, int | None]] = {}
    dialect = db.get_bind().dialect
    for chunk in chunks(dialect, list(dict.fromkeys(source_refs)), BULK_CHUNK):
        rows = db.execute(
            select(
                EvaluationItem.source_ref, EvaluationItem.id, EvaluationItem.state, EvaluationItem.posted_seq
            ).where(
                EvaluationItem.interface == interface,
                one_of(dialect, EvaluationItem.source_ref, chunk),
            )
        )
        out.update({str(ref): (iid, state, seq) for ref, iid, state, seq in rows})
    return out


def used_by_day(
    db: Session, resident_ids: list[str], indicators: list[str], since: date, until: date, states: list[str]
) -> list[tuple[str, str, date, str, int, int]]:
    """(resident, indicator, deed date, state, points, count) of items in ``states`` with a deed date in
    [since, until): what the caps of a batch are checked against (one query per chunk of residents).

    The query reads ``ix_evaluation_item_resident_caps`` alone. The states are kept here, not in SQL:
    given ``state IN (...)`` and no statistics, SQLite picks the state index and reads every item in
    those states for each chunk (4 s a batch at half a million items, and growing with the table)."""
    out: list[tuple[str, str, date, str, int, int]] = []
    wanted = set(states)
    dialect = db.get_bind().dialect
    for chunk in chunks(dialect, list(dict.fromkeys(resident_ids)), BULK_CHUNK):
        rows = db.execute(
            select(
                EvaluationItem.resident_id,
                EvaluationItem.indicator,
                EvaluationItem.deed_date,
                EvaluationItem.state,
                func.coalesce(func.sum(EvaluationItem.points), 0),
                func.count(),
            )
            .where(
                one_of(dialect, EvaluationItem.resident_id, chunk),
                EvaluationItem.indicator.in_(indicators),
                EvaluationItem.deed_date >= since,
                EvaluationItem.deed_date < until,
            )
            .group_by(
                EvaluationItem.resident_id,
                EvaluationItem.indicator,
                EvaluationItem.deed_date,
                EvaluationItem.state,
            )
        )
        out.extend((r, ind, dd, st, int(p), int(n)) for r, ind, dd, st, p, n in rows if st in wanted)
    return out


def insert_items(db: Session, rows: list[dict]) -> list[int]:
    """Insert many items in one executemany; returns their ids in the order given."""
    if not rows:
        return []
    from moralbank.db.bulk import insert_rows

    return insert_rows(db.connection(), EvaluationItem.__table__, rows, ids=True)


def insert_events(db: Session, rows: list[dict]) -> None:
    from moralbank.db.bulk import insert_rows

    insert_rows(db.connection(), EvaluationEvent.__table__, rows)


def set_posted_seqs(db: Session, pairs: list[tuple[int, int]]) -> None:
    """(item id, ledger seq) for items inserted already in state ``posted``."""
    if pairs:
        from sqlalchemy import bindparam

        table: Any = EvaluationItem.__table__
        db.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(posted_seq=bindparam("b_seq")),
            [{"b_id": iid, "b_seq": seq} for iid, seq in pairs],
        )
