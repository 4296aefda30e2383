"""Big-data evaluation in batches: ``propose_from_records`` is ``propose_from_record`` for a whole
import batch, with the same outcome record for record but set-based work — one query for the refs
already proposed, one for the residents' grids, one for the caps, bulk inserts of items and events,
**one** ``ledger.post`` for every automatic posting of the batch and one insert of the inbox messages.

Records are decided in the order given, exactly as if ``propose_from_record`` were called on each in
turn: a cap counts what the batch itself approved, posted or (for deductions) proposed before, and a
``(interface, source_ref)`` given twice is proposed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, NotFound
from moralbank.evaluation import domain as d
from moralbank.evaluation import repository as repo
from moralbank.evaluation.core import MESSAGES, rules, working_days
from moralbank.kernel.clock import local_date

COUNTED = ["approved", "posted"]  # what a positive indicator's cap counts (repository.used_in_period)
PENDING = ["village_review", "confirm_review", "notice", "disputed"]  # also counted for deductions


@dataclass(frozen=True, slots=True)
class RecordProposal:
    """One department record for big-data evaluation (the arguments of ``propose_from_record``)."""

    resident_id: str
    indicator: str
    points: int
    deed_date: date
    source_ref: str
    interface: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProposalOutcome:
    """What a record led to: its evaluation item (``created`` False when it was proposed before)."""

    id: int
    state: str
    posted_seq: int | None
    created: bool


def _as_proposal(r: RecordProposal | Mapping[str, Any]) -> RecordProposal:
    if isinstance(r, RecordProposal):
        return r
    r = dict(r)
    r["evidence"] = tuple(str(e) for e in r.get("evidence") or ())
    return RecordProposal(**r)


def propose_from_records(
    uow: UnitOfWork, *, records: Sequence[RecordProposal | Mapping[str, Any]]
) -> list[ProposalOutcome]:
    """``propose_from_record`` for many records at once; one outcome per record, in order.

    Same rules: idempotent on ``(interface, source_ref)``; positives post automatically only where the
    policy allows it (else they enter the path at the policy's stage); negatives never post on their
    own; the indicator's caps per period and resident are respected (a record over a cap is kept,
    rejected, with the cap as its reason); the same trail, policy version and inbox messages. The
    caller commits."""
    recs = [_as_proposal(r) for r in records]
    if not recs:
        return []
    rules_ = rules(uow)
    now = uow.clock.now()
    today = local_date(now)
    workday = working_days(uow)

    # 1. Already proposed (one query per interface) and repeated within the batch.
    out: list[ProposalOutcome | None] = [None] * len(recs)
    by_iface: dict[str, list[str]] = {}
    for r in recs:
        by_iface.setdefault(r.interface, []).append(r.source_ref)
    known: dict[tuple[str, str], ProposalOutcome | int] = {}
    for iface, refs in by_iface.items():
        for ref, (iid, state, seq) in repo.items_by_records(uow.db, iface, refs).items():
            known[(iface, ref)] = ProposalOutcome(iid, state, seq, False)
    fresh: list[int] = []  # indexes of the records that make a new item
    for i, r in enumerate(recs):
        key = (r.interface, r.source_ref)
        if key in known:
            continue
        known[key] = i
        fresh.append(i)
    if not fresh:
        return [k for r in recs if isinstance(k := known[(r.interface, r.source_ref)], ProposalOutcome)]

    # 2. The residents' grids (one query).
    from moralbank.residents import service as residents

    grids = residents.grids_of(uow, resident_ids=[recs[i].resident_id for i in fresh])

    # 3. Decide each new item as the single path would (pure), collecting what the caps need.
    items: list[tuple[int, d.Item, d.Event, str]] = []  # (record index, item, event, unit path)
    for i in fresh:
        r = recs[i]
        place = grids.get(r.resident_id)
        if place is None:
            raise NotFound(f"no resident {r.resident_id}")
        item, ev = d.new_record_proposal(
            rules_,
            resident_id=r.resident_id,
            grid_code=place[0],
            indicator=r.indicator,
            points=r.points,
            actor=f"feed:{r.interface}",
        )
        items.append((i, item, ev, place[1]))

    checked = [
        (i, item)
        for i, item, _, _ in items
        if (item.state is d.State.APPROVED or item.negative) and rules_.indicator(item.indicator).caps
    ]
    used: dict[tuple[str, str], list[tuple[date, str, int, int]]] = {}
    if checked:
        since = min(
            d.period_start(recs[i].deed_date, c.period)
            for i, item in checked
            for c in rules_.indicator(item.indicator).caps
        )
        until = max(
            d.period_end(recs[i].deed_date, c.period)
            for i, item in checked
            for c in rules_.indicator(item.indicator).caps
        )
        for rid, ind, dd, st, pts, n in repo.used_by_day(
            uow.db,
            [item.resident_id for _, item in checked],
            sorted({item.indicator for _, item in checked}),
            since,
            until,
            COUNTED + PENDING,
        ):
            used.setdefault((rid, ind), []).append((dd, st, pts, n))

    def used_in(key: tuple[str, str], deed: date, pending: bool) -> Any:
        states = set(COUNTED + PENDING) if pending else set(COUNTED)
        rows = used.get(key, ())

        def period(p: str) -> tuple[int, int]:
            start, end = d.period_start(deed, p), d.period_end(deed, p)
            pts = n = 0
            for dd, st, x, k in rows:
                if start <= dd < end and st in states:
                    pts += x
                    n += k
            return pts, n

        return period

    # 4. Caps in record order; what each decided item adds counts for the records after it.
    reasons: dict[int, str] = {}
    for i, item, _ev, _path in items:
        rule = rules_.indicator(item.indicator)
        if rule.caps and (item.state is d.State.APPROVED or item.negative):
            key = (item.resident_id, item.indicator)
            try:
                d.check_cap(rule, used_in(key, recs[i].deed_date, rule.negative), item.points)
            except Conflict as e:
                item.state, item.reason = d.State.REJECTED, str(e)
                reasons[i] = str(e)
        if rule.caps:
            state = d.State.POSTED if item.state is d.State.APPROVED else item.state
            used.setdefault((item.resident_id, item.indicator), []).append(
                (recs[i].deed_date, state.value, item.points, 1)
            )

    # 5. Items in their final state (posted ones get their seq below), in record order.
    rows = []
    for i, item, _ev, path in items:
        r = recs[i]
        final = d.State.POSTED if item.state is d.State.APPROVED else item.state
        rule = rules_.indicator(item.indicator)
        rows.append(
            {
                "resident_id": item.resident_id,
                "grid_code": item.grid_code,
                "unit_path": path,
                "indicator": item.indicator,
                "aspect": rule.aspect,
                "negative": item.negative,
                "origin": item.origin.value,
                "state": final.value,
                "points": item.points,
                "automated": item.automated,
                "proposer": item.proposer,
                "approvals": list(item.approvals),
                "quorum": item.quorum,
                "reason": item.reason or "",
                "severity": item.severity.value if item.severity else None,
                "deed_date": r.deed_date,
                "description": f"{r.interface}: {r.source_ref}".strip(),
                "witnesses": [],
                "record_evidence": [str(e) for e in r.evidence] or [f"record:{r.interface}/{r.source_ref}"],
                "interface": r.interface,
                "source_ref": r.source_ref,
                "policy_version": rules_.version,
                "effective_on": None,
                "expires_on": None,
                "posted_seq": None,
                "state_since": now,
                "due_on": d.stage_due(rules_, final, today, workday),
                "created_at": now,
            }
        )
    ids = repo.insert_items(uow.db, rows)

    # 6. One ledger batch for every automatic posting.
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    posting = [(k, i, item) for k, (i, item, _, _) in enumerate(items) if item.state is d.State.APPROVED]
    entries = []
    for k, i, item in posting:
        d.ready_to_post(item, rules_)
        rule = rules_.indicator(item.indicator)
        evidence = [f"evaluation:{ids[k]}"]
        evidence += [e if e.startswith("record:") else f"record:{e}" for e in rows[k]["record_evidence"]]
        entries.append(
            NewEntry(
                resident_id=item.resident_id,
                indicator=item.indicator,
                aspect=rule.aspect,
                points=d.ledger_points(item),
                deed_date=recs[i].deed_date,
                source="department",
                actor=item.proposer,
                policy_version=rules_.version,
                reason=f"{rule.name}（部门数据自动评价）",
                source_ref=f"evaluation:{ids[k]}",
                evidence=tuple(evidence),
                severity=None,
                expires_on=None,
            )
        )
    posted = ledger.post(uow, entries) if entries else []
    seqs = {k: e.seq for (k, _, _), e in zip(posting, posted, strict=True)}
    repo.set_posted_seqs(uow.db, [(ids[k], seq) for k, seq in seqs.items()])

    # 7. The trail and the residents' inbox, in record order.
    events = []
    messages = []
    for k, (i, item, ev, _path) in enumerate(items):
        iid = ids[k]
        base = {"resident_id": item.resident_id, "item_id": iid, "objection_id": None, "at": now}
        events.append({**base, "action": ev.action, "actor": ev.actor, "reason": ev.reason, "data": ev.data})
        name = rules_.indicator(item.indicator).name
        if i in reasons:
            events.append(
                {**base, "action": "rejected", "actor": item.proposer, "reason": reasons[i], "data": {}}
            )
        elif k in seqs:
            seq = seqs[k]
            data = {"seq": seq, "points": d.ledger_points(item), "expires_on": None}
            events.append({**base, "action": "posted", "actor": item.proposer, "reason": "", "data": data})
            subject, body = MESSAGES["posted"]
            messages.append(
                (
                    item.resident_id,
                    subject,
                    body.format(ind=name, points=item.points, seq=seq),
                    f"ledger:{seq}",
                )
            )
        else:
            subject, body = MESSAGES["record_proposed"]
            messages.append(
                (item.resident_id, subject, body.format(ind=name, points=item.points), f"deed:{iid}")
            )
        known[(recs[i].interface, recs[i].source_ref)] = ProposalOutcome(
            iid, rows[k]["state"], seqs.get(k), True
        )
    repo.insert_events(uow.db, events)
    from moralbank.notify import service as notify

    notify.send_many(uow, messages=messages)

    made = set(fresh)
    for i, r in enumerate(recs):
        o = known[(r.interface, r.source_ref)]
        assert isinstance(o, ProposalOutcome)
        # a record repeated within the batch returns the item its first occurrence made
        out[i] = o if i in made or not o.created else ProposalOutcome(o.id, o.state, o.posted_seq, False)
    return [o for o in out if o is not None]
