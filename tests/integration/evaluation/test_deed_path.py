"""A deed from submission through grid mutual evaluation and village review to the ledger."""

import hashlib
from datetime import date

import pytest

from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.ledger import service as ledger
from moralbank.notify import service as notify

from .conftest import PNG


def _submit(w, letter="A", indicator="FV01", **kw):
    with w.container.uow() as uow:
        row = ev.submit(
            uow,
            principal=w.resident(letter),
            indicator=indicator,
            deed_date=date(2026, 11, 24),
            description="照顾生病的邻居老人",
            uploads=kw.pop("uploads", [Upload("p.png", PNG)]),
            **kw,
        )
        uow.commit()
        return row.id


def _do(w, fn, **kw):
    with w.container.uow() as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


def test_deed_to_ledger_with_trail_and_inbox(world):
    w = world
    item_id = _submit(w, witnesses=["邻居王阿姨"])
    _do(w, ev.vote, principal=w.resident("B"), item_id=item_id, confirm=True)
    _do(w, ev.vote, principal=w.worker1, item_id=item_id, confirm=True)
    row = _do(w, ev.approve, principal=w.officer, item_id=item_id, points=3)
    assert row.state == "posted" and row.posted_seq
    with w.container.uow() as uow:
        entry = ledger.get(uow, seq=row.posted_seq)
        assert entry.points == 3 and entry.resident_id == w.ids["A"]
        assert entry.source == "evaluation" and entry.source_ref == f"evaluation:{item_id}"
        assert entry.policy_version == row.policy_version
        assert f"evaluation:{item_id}" in entry.evidence
        assert any(e.startswith("file:sha256:") for e in entry.evidence)
        assert f"confirm:resident:{w.ids['B']}" in entry.evidence and "approval:user:21" in entry.evidence
        subjects = [m.subject for m in notify.inbox(uow, resident_id=w.ids["A"])]
        assert (
            subjects[0] == "积分已入账" and "您的善行已提交" in subjects and "善行已通过网格互评" in subjects
        )
        trail = ev.trail(uow, principal=w.resident("A"), item_id=item_id)
        assert [e.action for e in trail.events] == [
            "submitted",
            "confirmed",
            "confirmed",
            "approved",
            "posted",
        ]
    # nothing posts twice
    with pytest.raises(Conflict):
        _do(w, ev.approve, principal=w.officer, item_id=item_id, points=3)
    with w.container.uow() as uow:
        assert [e.seq for e in ledger.entries_of(uow, resident_id=w.ids["A"])] == [row.posted_seq]


def test_evidence_files_are_type_checked_and_stored_by_hash(world):
    w = world
    with pytest.raises(InvalidInput):
        _submit(w, uploads=[Upload("fake.jpg", b"MZ\x90\x00 this is an exe")])
    item_id = _submit(w)
    with w.container.uow() as uow:
        sha = ev.trail(uow, principal=w.resident("A"), item_id=item_id).files[0].sha256
        meta, data = ev.evidence(uow, principal=w.officer, sha256=sha)
        assert meta.media_type == "image/png" and data == PNG
        with pytest.raises(NotFound):  # another grid's resident
            ev.evidence(uow, principal=w.resident("E"), sha256=sha)
        # a neighbour asked to confirm it sees the photo while it waits for the grid
        assert ev.evidence(uow, principal=w.resident("C"), sha256=sha)[1] == PNG
        assert [f.sha256 for f in ev.evidence_of(uow, principal=w.resident("C"), item_id=item_id)] == [sha]
    _do(w, ev.vote, principal=w.resident("B"), item_id=item_id, confirm=True)
    _do(w, ev.vote, principal=w.resident("C"), item_id=item_id, confirm=True)
    with w.container.uow() as uow:  # ... and no longer once the grid has spoken
        with pytest.raises(NotFound):
            ev.evidence(uow, principal=w.resident("D"), sha256=sha)
        with pytest.raises(NotFound):
            ev.evidence_of(uow, principal=w.resident("D"), item_id=item_id)
    assert sha == hashlib.sha256(PNG).hexdigest()
    assert (w.container.settings.files_dir / "evidence" / sha[:2] / sha[2:4] / sha).read_bytes() == PNG


def test_evidence_required_by_policy(world):
    with pytest.raises(InvalidInput):
        _submit(world, indicator="SM01", uploads=[])


def test_grid_rules_and_authorization(world):
    w = world
    item_id = _submit(w)
    with pytest.raises(PermissionDenied):  # own deed
        _do(w, ev.vote, principal=w.resident("A"), item_id=item_id, confirm=True)
    with pytest.raises(PermissionDenied):  # household member
        _do(w, ev.vote, principal=w.resident("A2"), item_id=item_id, confirm=True)
    with pytest.raises(PermissionDenied):  # resident of another grid
        _do(w, ev.vote, principal=w.resident("E"), item_id=item_id, confirm=True)
    with pytest.raises(PermissionDenied):  # grid worker of another grid
        _do(w, ev.vote, principal=w.worker2, item_id=item_id, confirm=True)
    _do(w, ev.vote, principal=w.resident("B"), item_id=item_id, confirm=True)
    with pytest.raises(Conflict):  # one voice per person
        _do(w, ev.vote, principal=w.resident("B"), item_id=item_id, confirm=True)
    # a grid worker cannot enter deeds for residents outside their grid
    with pytest.raises(NotFound), w.container.uow() as uow:
        ev.submit(
            uow,
            principal=w.worker2,
            resident_id=w.ids["A"],
            indicator="FV01",
            deed_date=date(2026, 11, 24),
            description="x",
        )
    with pytest.raises(NotFound):  # another village's officer does not see it
        _do(w, ev.approve, principal=w.officer_v2, item_id=item_id)
    with w.container.uow() as uow:
        assert item_id not in [r.id for r in ev.pending_confirmations(uow, principal=w.resident("A2"))]
        assert item_id not in [r.id for r in ev.pending_confirmations(uow, principal=w.resident("B"))]
        assert item_id in [r.id for r in ev.pending_confirmations(uow, principal=w.resident("C"))]
        assert item_id in [r.id for r in ev.pending_confirmations(uow, principal=w.worker1)]
        assert ev.pending_confirmations(uow, principal=w.worker2) == []


def test_assisted_entry_is_logged_as_assisted(world):
    w = world
    with w.container.uow() as uow:
        row = ev.submit(
            uow,
            principal=w.worker1,
            resident_id=w.ids["D"],
            indicator="FV01",
            deed_date=date(2026, 11, 20),
            description="代老人录入",
        )
        uow.commit()
        assert row.origin == "assisted"
        assert ev.trail(uow, principal=w.officer, item_id=row.id).events[0].action == "assisted_entry"
        assert row.id not in [r.id for r in ev.pending_confirmations(uow, principal=w.worker1)]


def test_rejection_needs_reason_reopen_and_bulk(world):
    w = world
    ids = []
    for letter in ("B", "C", "D"):
        i = _submit(w, letter=letter, indicator="PC01")  # quorum 1
        voter = "A" if letter != "A" else "B"
        _do(w, ev.vote, principal=w.resident(voter), item_id=i, confirm=True)
        ids.append(i)
    with pytest.raises(InvalidInput):
        _do(w, ev.bulk_review, principal=w.officer, item_ids=ids, decision="reject", reason=" ")
    res = _do(
        w, ev.bulk_review, principal=w.officer, item_ids=ids[:2], decision="reject", reason="证明材料不足"
    )
    assert res.done == ids[:2] and not res.failed
    res = _do(w, ev.bulk_review, principal=w.officer, item_ids=ids, decision="approve")
    assert res.done == [ids[2]] and set(res.failed) == set(ids[:2])
    with pytest.raises(PermissionDenied):  # village officers do not reopen
        _do(w, ev.reopen, principal=w.officer, item_id=ids[0], reason="复核")
    row = _do(w, ev.reopen, principal=w.township, item_id=ids[0], reason="补充了照片")
    assert row.state == "village_review"
    with w.container.uow() as uow:
        assert any(
            m.subject == "评议未通过" and "证明材料不足" in m.body
            for m in notify.inbox(uow, resident_id=w.ids["B"])
        )


def test_rate_limit_and_caps(world):
    w = world
    for _ in range(5):  # default policy: 5 submissions an hour
        _submit(w, letter="C", indicator="FV01")
    with pytest.raises(RateLimited):
        _submit(w, letter="C", indicator="FV01")
    # SM04 caps: once a week
    first = _submit(w, letter="D", indicator="SM04", uploads=[])
    _do(w, ev.vote, principal=w.resident("B"), item_id=first, confirm=True)
    _do(w, ev.vote, principal=w.resident("C"), item_id=first, confirm=True)
    _do(w, ev.approve, principal=w.officer, item_id=first)
    with pytest.raises(Conflict):
        _submit(w, letter="D", indicator="SM04", uploads=[])


def test_grid_disputes_reject_with_reasons(world):
    w = world
    item_id = _submit(w)
    _do(w, ev.vote, principal=w.resident("B"), item_id=item_id, confirm=False, reason="那天没看到")
    row = _do(w, ev.vote, principal=w.resident("C"), item_id=item_id, confirm=False, reason="不属实")
    assert row.state == "rejected" and "不属实" in row.reason


def test_staff_reads_are_in_the_access_log_and_the_residents_own_are_not(world):
    from moralbank.audit import service as audit

    w = world
    item_id = _submit(w)
    with w.container.uow() as uow:
        ev.trail(uow, principal=w.resident("A"), item_id=item_id)
        ev.trail(uow, principal=w.officer, item_id=item_id)
        ev.review_queue(uow, principal=w.officer)
        uow.commit()
    with w.container.uow() as uow:
        log = audit.list_for_resident(uow, resident_id=w.ids["A"])
        assert {(r.actor, r.what) for r in log} == {("user:21", "evaluation.item")}
