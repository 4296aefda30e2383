"""``propose_from_records`` (a whole import batch at once) leaves exactly what ``propose_from_record``
called record by record leaves: the same items, trail, ledger entries (seq and times aside) and inbox
messages — caps hit in the middle of a batch, negatives, a record repeated within the batch, records
proposed before, and a second run that changes nothing."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from moralbank.evaluation import service as ev
from moralbank.evaluation.models import EvaluationEvent, EvaluationItem
from moralbank.ledger.models import LedgerEntry
from moralbank.notify.models import InboxMessage

DROP = {"id", "created_at", "state_since", "recorded_at", "at", "seq", "posted_seq"}


def _rows(uow, model) -> list[dict]:
    cols = [c.name for c in model.__table__.columns]
    order = model.__table__.primary_key.columns.values()[0]
    return [{c: getattr(r, c) for c in cols} for r in uow.db.scalars(select(model).order_by(order))]


def snapshot(uow) -> dict[str, list]:
    """Everything the evaluation of records writes, with ids and seqs replaced by their rank."""
    items, events = _rows(uow, EvaluationItem), _rows(uow, EvaluationEvent)
    entries, inbox = _rows(uow, LedgerEntry), _rows(uow, InboxMessage)
    item_rank = {r["id"]: n for n, r in enumerate(items)}
    seq_rank = {r["seq"]: n for n, r in enumerate(entries)}

    def norm(v):
        if isinstance(v, str):
            v = re.sub(r"(evaluation:|deed:)(\d+)", lambda m: f"{m[1]}#{item_rank[int(m[2])]}", v)
            v = re.sub(r"(ledger:|流水号 )(\d+)", lambda m: f"{m[1]}#{seq_rank[int(m[2])]}", v)
            return v
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: (f"#{seq_rank[x]}" if k == "seq" else norm(x)) for k, x in v.items()}
        return v

    def clean(rows, extra=()):
        return [{k: norm(v) for k, v in r.items() if k not in DROP and k not in extra} for r in rows]

    return {
        "items": [
            {**c, "posted": seq_rank.get(r["posted_seq"])} for c, r in zip(clean(items), items, strict=True)
        ],
        "events": [
            {**c, "item": item_rank.get(r["item_id"])}
            for c, r in zip(clean(events, {"item_id"}), events, strict=True)
        ],
        "entries": clean(entries),
        "inbox": clean(inbox),
    }


def record(w, who: str, ind: str, pts: int, day: date, ref: str, iface: str = "volunteer_hours") -> dict:
    return {
        "resident_id": w.ids[who],
        "indicator": ind,
        "points": pts,
        "deed_date": day,
        "source_ref": ref,
        "interface": iface,
        "evidence": ["feed-import:1", ref],
    }


def outcomes_single(uow, recs):
    return [ev.propose_from_record(uow, **r) for r in recs]


def both_ways(w, batches: list[list[dict]]) -> tuple[dict, dict, list, list]:
    """Run the batches record by record, snapshot, leave uncommitted; then
    batch by batch, snapshot, leave uncommitted."""
    c = w.container
    with c.uow() as uow:
        singles = [[(x.id, x.state) for x in outcomes_single(uow, b)] for b in batches]
        one = snapshot(uow)
    with c.uow() as uow:
        batched = [[(x.id, x.state) for x in ev.propose_from_records(uow, records=b)] for b in batches]
        many = snapshot(uow)
    return one, many, singles, batched


def _shape(outcomes: list[list[tuple[int, str]]]) -> list[list[tuple[int, str]]]:
    """Outcomes with item ids as ranks (PostgreSQL sequences do not roll back)."""
    ids = sorted({i for b in outcomes for i, _ in b})
    rank = {i: n for n, i in enumerate(ids)}
    return [[(rank[i], s) for i, s in b] for b in outcomes]


def test_batch_equals_record_by_record(world) -> None:
    w = world
    nov, oct_ = date(2026, 11, 3), date(2026, 10, 20)
    with w.container.uow() as uow:  # earlier imports: B has 5 points of SM01 this month, C one PC04
        ev.propose_from_records(
            uow,
            records=[
                record(w, "B", "SM01", 5, nov, "old-1"),
                record(w, "C", "PC04", -3, nov, "old-2", "environment"),
                record(w, "E", "SM02", 5, nov, "old-3", "blood_donation"),
            ],
        )
        uow.commit()
    batch = [
        record(w, "B", "SM01", 5, nov, "v-1"),
        record(w, "B", "SM01", 5, date(2026, 11, 9), "v-2"),
        record(w, "E", "SM01", 4, nov, "v-3"),
        record(w, "B", "SM01", 5, date(2026, 11, 20), "v-4"),  # 20 points this month: the cap
        record(w, "B", "SM01", 3, date(2026, 11, 21), "v-5"),  # over the cap: rejected, mid-batch
        record(w, "B", "SM01", 5, oct_, "v-6"),  # another month: fine
        record(w, "B", "SM01", 5, nov, "v-1"),  # repeated within the batch
        record(w, "B", "SM01", 5, nov, "old-1"),  # proposed by an earlier import
        record(w, "C", "PC04", -3, nov, "e-1", "environment"),  # negative: review, second this month
        record(w, "C", "PC04", -4, date(2026, 11, 5), "e-2", "environment"),  # third: over the cap
        record(w, "C", "PC05", -50, nov, "c-1", "court_enforcement"),  # negative without caps
        record(w, "E", "SM03", 10, nov, "p-1", "public_security_commendation"),  # positive, not automatic
        record(w, "E", "SM02", 5, oct_, "b-1", "blood_donation"),
    ]
    one, many, singles, batched = both_ways(w, [batch, batch, batch[3:6]])  # then re-runs
    assert many == one
    assert _shape(batched) == _shape(singles)
    states = [s for _, s in batched[0]]
    assert states[:6] == ["posted", "posted", "posted", "posted", "rejected", "posted"]
    assert batched[0][6] == batched[0][0]  # the repeat is the first occurrence's item
    assert states[8:13] == ["village_review", "rejected", "village_review", states[11], "posted"]
    assert batched[1] == batched[0] and batched[2] == batched[0][3:6]  # the re-runs change nothing
    assert len(many["entries"]) == 2 + 6  # old-1, old-3; v-1, v-2, v-3, v-4, v-6, b-1
    assert any("cap reached" in i["reason"] for i in many["items"])


POOL = [("B", "SM01", (2, 5)), ("B", "PC04", (-5, -2)), ("C", "SM02", (5, 5)), ("C", "SM01", (2, 5)),
        ("E", "PE05", (-10, -10)), ("E", "SM03", (5, 20)), ("B", "PE01", (10, 10))]  # fmt: skip


@st.composite
def batches(draw):
    recs = []
    for _ in range(draw(st.integers(1, 14))):
        who, ind, (lo, hi) = draw(st.sampled_from(POOL))
        day = date(2026, draw(st.sampled_from([9, 10, 11])), draw(st.integers(1, 24)))
        ref = f"r{draw(st.integers(0, 9))}"  # a small pool: repeats within and across batches
        recs.append((who, ind, draw(st.integers(lo, hi)), day, ref))
    cut = draw(st.integers(0, len(recs)))
    return recs, cut


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches())
def test_property_batch_equals_record_by_record(world, drawn) -> None:
    recs, cut = drawn
    w = world
    made = [record(w, who, ind, pts, day, ref, f"if_{ind.lower()}") for who, ind, pts, day, ref in recs]
    one, many, singles, batched = both_ways(w, [made[:cut], made[cut:], made])
    assert many == one
    assert _shape(batched) == _shape(singles)


def test_times_and_types_read_back_as_written(world) -> None:
    """The batch writes on the driver (executemany / COPY): what the ORM reads back is what was meant."""
    w = world
    with w.container.uow() as uow:
        [o] = ev.propose_from_records(uow, records=[record(w, "B", "SM01", 5, date(2026, 11, 3), "t-1")])
        uow.commit()
    now = w.container.clock.now()
    with w.container.uow() as uow:
        item = uow.db.get(EvaluationItem, o.id)
        assert (item.created_at, item.state_since, item.deed_date) == (now, now, date(2026, 11, 3))
        assert item.automated is True and item.negative is False and item.approvals == []
        assert item.record_evidence == ["feed-import:1", "t-1"] and item.posted_seq == o.posted_seq
        [msg] = uow.db.scalars(select(InboxMessage)).all()
        [event, posted] = uow.db.scalars(select(EvaluationEvent).order_by(EvaluationEvent.id)).all()
        assert msg.created_at == now and event.at == now and posted.data["seq"] == o.posted_seq
