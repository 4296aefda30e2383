"""When it goes against someone: deductions, objections, repair, automated decisions; and deadlines."""

from datetime import date, datetime, timedelta

import pytest

from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.kernel.clock import CHINA
from moralbank.ledger import service as ledger
from moralbank.notify import service as notify
from moralbank.policy import service as policy_service

from .conftest import PNG


def _do(w, fn, **kw):
    with w.container.uow() as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


def _at(w, y, m, d, h=10):
    w.container.clock.set(datetime(y, m, d, h, tzinfo=CHINA))


def _deduction(w, indicator="PE04", points=20, letter="A"):
    row = _do(
        w,
        ev.propose_deduction,
        principal=w.officer,
        resident_id=w.ids[letter],
        indicator=indicator,
        points=points,
        deed_date=date(2026, 11, 20),
        description="合同违约，法院判决书",
        uploads=[Upload("judgment.png", PNG)],
    )
    return row.id


def test_deduction_needs_evidence_second_officer_and_waits_for_the_window(world):
    w = world
    with pytest.raises(InvalidInput):
        _do(
            w,
            ev.propose_deduction,
            principal=w.officer,
            resident_id=w.ids["A"],
            indicator="PE04",
            points=20,
            deed_date=date(2026, 11, 20),
            description="无证据",
        )
    with pytest.raises(PermissionDenied):
        _do(
            w,
            ev.propose_deduction,
            principal=w.resident("B"),
            resident_id=w.ids["A"],
            indicator="PE04",
            points=20,
            deed_date=date(2026, 11, 20),
            description="x",
            uploads=[Upload("p.png", PNG)],
        )
    item_id = _deduction(w)
    with pytest.raises(PermissionDenied):  # the proposer cannot be the second officer
        _do(w, ev.approve, principal=w.officer, item_id=item_id)
    row = _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    assert row.state == "notice" and row.effective_on == date(2026, 12, 2)  # 5 working days after Wed 25th
    with w.container.uow() as uow:
        msg = notify.inbox(uow, resident_id=w.ids["A"])[0]
        assert msg.subject == "扣分告知" and "第十三条" in msg.body and "2026-12-02" in msg.body
        assert ledger.entries_of(uow, resident_id=w.ids["A"]) == []
    _at(w, 2026, 12, 1)
    assert _do(w, ev.process_due) == []
    _at(w, 2026, 12, 2)
    assert _do(w, ev.process_due) == [item_id]
    assert _do(w, ev.process_due) == []  # nothing posts twice
    with w.container.uow() as uow:
        [entry] = ledger.entries_of(uow, resident_id=w.ids["A"])
        assert entry.points == -20 and entry.severity == "general"
        assert entry.expires_on == date(2027, 12, 2)  # general: shown 12 months
        assert "approval:user:21" in entry.evidence and "approval:user:22" in entry.evidence


def test_objection_marks_disputed_at_once_and_upheld_withdraws(world):
    w = world
    item_id = _deduction(w)
    _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    with pytest.raises(PermissionDenied):  # someone else's record
        _do(w, ev.object_to, principal=w.resident("B"), item_id=item_id, statement="不是我")
    obj = _do(w, ev.object_to, principal=w.resident("A"), item_id=item_id, statement="合同已经履行完毕")
    assert obj.marked_at is not None and obj.mark_due == date(2026, 11, 26)
    assert obj.decide_due == date(2026, 12, 2)
    with w.container.uow() as uow:
        assert ev.get(uow, principal=w.officer, item_id=item_id).state == "disputed"
        assert [o.id for o in ev.objections_due(uow, principal=w.officer)] == [obj.id]
    _at(w, 2026, 12, 3)
    assert _do(w, ev.process_due) == []  # a disputed deduction does not take effect
    with pytest.raises(PermissionDenied):  # not by an officer who made the decision
        _do(w, ev.decide_objection, principal=w.officer_b, objection_id=obj.id, upheld=True, reason="核实")
    with pytest.raises(InvalidInput):
        _do(w, ev.decide_objection, principal=w.township, objection_id=obj.id, upheld=False, reason="")
    obj = _do(
        w,
        ev.decide_objection,
        principal=w.township,
        objection_id=obj.id,
        upheld=True,
        reason="已提供履行证明",
    )
    with w.container.uow() as uow:
        assert ev.get(uow, principal=w.officer, item_id=item_id).state == "withdrawn"
        assert ledger.entries_of(uow, resident_id=w.ids["A"]) == []
        actions = [e.action for e in ev.trail(uow, principal=w.resident("A"), item_id=item_id).events]
        assert "objection_marked" in actions and actions[-1] == "objection_upheld"


def test_rejected_objection_has_reasons_and_the_deduction_then_posts(world):
    w = world
    item_id = _deduction(w)
    _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    obj = _do(w, ev.object_to, principal=w.resident("A"), item_id=item_id, statement="我不同意")
    _at(w, 2026, 12, 3)
    _do(
        w,
        ev.decide_objection,
        principal=w.township,
        objection_id=obj.id,
        upheld=False,
        reason="判决书已生效，未见履行证明",
    )
    with w.container.uow() as uow:
        assert ev.get(uow, principal=w.officer, item_id=item_id).state == "posted"
        subjects = {m.subject for m in notify.inbox(uow, resident_id=w.ids["A"])}
        assert {"异议已受理", "异议未成立", "扣分已生效"} <= subjects


def test_objection_to_a_posted_entry_reverses_it(world):
    w = world
    item_id = _deduction(w)
    _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    _at(w, 2026, 12, 2)
    _do(w, ev.process_due)
    with w.container.uow() as uow:
        [entry] = ledger.entries_of(uow, resident_id=w.ids["A"])
    obj = _do(w, ev.object_to, principal=w.resident("A"), ledger_seq=entry.seq, statement="已和解")
    with pytest.raises(Conflict):
        _do(w, ev.object_to, principal=w.resident("A"), ledger_seq=entry.seq, statement="again")
    obj = _do(
        w, ev.decide_objection, principal=w.township, objection_id=obj.id, upheld=True, reason="双方已和解"
    )
    with w.container.uow() as uow:
        entries = ledger.entries_of(uow, resident_id=w.ids["A"])
        assert [(e.points, e.reverses_seq, e.source) for e in entries] == [
            (-20, None, "evaluation"),
            (20, entry.seq, "objection"),
        ]
        assert obj.outcome_seq == entries[1].seq
        assert ev.get(uow, principal=w.resident("A"), item_id=item_id).state == "reversed"


def test_credit_repair_after_the_minimum_period(world):
    w = world
    item_id = _deduction(w)
    _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    _at(w, 2026, 12, 2)
    _do(w, ev.process_due)
    with w.container.uow() as uow:
        [entry] = ledger.entries_of(uow, resident_id=w.ids["A"])
    with pytest.raises(Conflict):  # general: 3 months first
        _do(w, ev.apply_repair, principal=w.resident("A"), ledger_seq=entry.seq, commitment="保证按时履约")
    _at(w, 2027, 3, 2)
    with pytest.raises(InvalidInput):
        _do(w, ev.apply_repair, principal=w.resident("A"), ledger_seq=entry.seq, commitment="  ")
    obj = _do(
        w, ev.apply_repair, principal=w.resident("A"), ledger_seq=entry.seq, commitment="已履行并保证守信"
    )
    assert obj.kind == "repair" and obj.decide_due == date(2027, 3, 5)  # 3 working days
    _do(w, ev.decide_objection, principal=w.officer, objection_id=obj.id, upheld=True, reason="已履行完毕")
    with w.container.uow() as uow:
        entries = ledger.entries_of(uow, resident_id=w.ids["A"])
        assert entries[-1].source == "repair" and entries[-1].reverses_seq == entry.seq
        assert sum(e.points for e in entries) == 0


def test_big_data_auto_posts_positive_idempotently_and_can_be_refused(world):
    w = world
    kw = dict(
        resident_id=w.ids["B"],
        indicator="SM01",
        points=5,
        deed_date=date(2026, 11, 20),
        interface="volunteer",
        source_ref="VOL-2026-0001",
        evidence=["record:volunteer/VOL-2026-0001"],
    )
    row = _do(w, ev.propose_from_record, **kw)
    assert row.state == "posted" and row.automated
    again = _do(w, ev.propose_from_record, **kw)
    assert again.id == row.id
    with w.container.uow() as uow:
        [entry] = ledger.entries_of(uow, resident_id=w.ids["B"])
        assert entry.source == "department" and "record:volunteer/VOL-2026-0001" in entry.evidence
    with pytest.raises(PermissionDenied):
        _do(w, ev.refuse_automated, principal=w.resident("C"), item_id=row.id)
    _do(w, ev.refuse_automated, principal=w.resident("B"), item_id=row.id, statement="我不同意自动评价")
    with w.container.uow() as uow:
        entries = ledger.entries_of(uow, resident_id=w.ids["B"])
        assert [e.points for e in entries] == [5, -5] and entries[1].reverses_seq == entry.seq


def test_human_review_of_an_automated_decision(world):
    w = world
    row = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["B"],
        indicator="SM01",
        points=5,
        deed_date=date(2026, 11, 20),
        interface="volunteer",
        source_ref="V2",
        evidence=[],
    )
    obj = _do(w, ev.request_human_review, principal=w.resident("B"), item_id=row.id, statement="请人工复核")
    obj = _do(
        w,
        ev.decide_objection,
        principal=w.officer,
        objection_id=obj.id,
        upheld=False,
        reason="经人工核对志愿服务记录，分值无误",
    )
    assert obj.state == "rejected" and obj.decision_reason
    with pytest.raises(InvalidInput):  # only automated decisions get "human review"; others are objections
        item = _do(
            w,
            ev.propose_from_record,
            resident_id=w.ids["B"],
            indicator="PC05",
            points=50,
            deed_date=date(2026, 11, 20),
            interface="court",
            source_ref="C1",
            evidence=["court:1"],
        )
        _do(w, ev.request_human_review, principal=w.resident("B"), item_id=item.id, statement="x")


def test_negative_records_never_auto_post(world):
    w = world
    row = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["B"],
        indicator="PC05",
        points=-50,
        deed_date=date(2026, 11, 20),
        interface="court",
        source_ref="C9",
        evidence=["court:9"],
    )
    assert row.state == "village_review" and not row.automated
    row = _do(w, ev.approve, principal=w.officer, item_id=row.id)
    assert row.state == "confirm_review"
    row = _do(w, ev.approve, principal=w.officer_b, item_id=row.id)
    assert row.state == "notice"
    with w.container.uow() as uow:
        assert ledger.entries_of(uow, resident_id=w.ids["B"]) == []


def test_rings_are_flagged_with_evidence(world):
    w = world
    for owner, confirmer in (("B", "C"), ("B", "C"), ("C", "B"), ("C", "B")):
        with w.container.uow() as uow:
            row = ev.submit(
                uow,
                principal=w.resident(owner),
                indicator="PC01",
                deed_date=date(2026, 11, 24),
                description="拾金不昧",
                uploads=[Upload("p.png", PNG)],
            )
            uow.commit()
        _do(w, ev.vote, principal=w.resident(confirmer), item_id=row.id, confirm=True)
    with w.container.uow() as uow:
        [flag] = ev.ring_flags(uow, principal=w.officer)
        assert set(flag.members) == {w.ids["B"], w.ids["C"]}
        assert all(len(ids) == 2 for _, _, ids in flag.evidence)
        assert ev.ring_flags(uow, principal=w.officer_v2) == []
        flag_id = flag.id
    _do(w, ev.review_ring, principal=w.officer, flag_id=flag_id, status="confirmed", note="互评刷分，已约谈")
    with w.container.uow() as uow:
        assert ev.ring_flags(uow, principal=w.officer) == []


def test_deadlines_across_national_day_and_overdue_for_the_level_above(world):
    w = world
    _at(w, 2026, 9, 30)
    with w.container.uow() as uow:
        row = ev.submit(
            uow,
            principal=w.resident("A"),
            indicator="PC01",
            deed_date=date(2026, 9, 29),
            description="拾金不昧",
            uploads=[Upload("p.png", PNG)],
        )
        uow.commit()
        # grid stage: 3 working days after Sep 30 = Oct 8, 9 and the make-up Saturday Oct 10
        assert row.due_on == date(2026, 10, 10)
    _at(w, 2026, 10, 10, 18)
    with w.container.uow() as uow:
        assert ev.overdue(uow, principal=w.township).items == []
    _at(w, 2026, 10, 11)
    with w.container.uow() as uow:
        assert [r.id for r in ev.overdue(uow, principal=w.township).items] == [row.id]
        assert ev.overdue(uow, principal=w.officer_v2).items == []
    # an objection on the eve of the holiday: marked at once, decision due 5 working days on = Oct 13
    _at(w, 2026, 9, 30, 16)
    item = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["D"],
        indicator="SM01",
        points=5,
        deed_date=date(2026, 9, 29),
        interface="volunteer",
        source_ref="NAT",
        evidence=[],
    )
    obj = _do(w, ev.object_to, principal=w.resident("D"), item_id=item.id, statement="分数不对")
    assert obj.mark_due == date(2026, 10, 8) and obj.decide_due == date(2026, 10, 13)
    _at(w, 2026, 10, 14)
    with w.container.uow() as uow:
        assert [o.id for o in ev.overdue(uow, principal=w.township).objections] == [obj.id]


def test_deadlines_in_a_year_only_the_policy_calendar_knows(world):
    w = world
    # chinese_calendar ships no 2027 schedule; the office enters (here invented) days off on Wed 3 and
    # Thu 4 March and a make-up working Saturday 6 March.
    empty = "calendar:\n  holidays: []\n  workdays: []\n"
    text = policy_service.default_text().replace(
        empty, "calendar:\n  holidays: [2027-03-03, 2027-03-04]\n  workdays: [2027-03-06]\n"
    )
    _do(w, policy_service.apply, text=text, author="city office")
    _at(w, 2027, 3, 2, 16)
    item = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["D"],
        indicator="SM01",
        points=5,
        deed_date=date(2027, 3, 1),
        interface="volunteer",
        source_ref="CAL-2027",
        evidence=[],
    )
    obj = _do(w, ev.object_to, principal=w.resident("D"), item_id=item.id, statement="分数不对")
    # Marked within 1 working day: Fri 5 March (Monday-Friday alone would say Wed 3). Decided within 5:
    # Fri 5, Sat 6 (make-up), Mon 8, Tue 9, Wed 10 (Monday-Friday alone: Tue 9).
    assert obj.mark_due == date(2027, 3, 5) and obj.decide_due == date(2027, 3, 10)


def test_views_are_scoped(world):
    w = world
    row = _deduction(w)
    with w.container.uow() as uow:
        with pytest.raises(NotFound):
            ev.get(uow, principal=w.resident("B"), item_id=row)
        with pytest.raises(NotFound):
            ev.get(uow, principal=w.officer_v2, item_id=row)
        assert ev.get(uow, principal=w.township, item_id=row).id == row
        assert [r.id for r in ev.review_queue(uow, principal=w.officer_b)] == [row]
        assert ev.review_queue(uow, principal=w.officer_v2) == []
    w.container.clock.set(w.container.clock.now() + timedelta(days=1))


def test_negative_caps_count_pending_deductions(world):
    w = world
    # PE05 (bank loan arrears): at most once a month, counted from the moment it is proposed
    kw = dict(
        resident_id=w.ids["C"],
        indicator="PE05",
        points=10,
        deed_date=date(2026, 11, 3),
        description="贷款逾期",
        uploads=[Upload("p.png", PNG)],
    )
    _do(w, ev.propose_deduction, principal=w.officer, **kw)
    with pytest.raises(Conflict):
        _do(w, ev.propose_deduction, principal=w.officer, **{**kw, "deed_date": date(2026, 11, 20)})
    row = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["C"],
        indicator="PE05",
        points=-10,
        deed_date=date(2026, 11, 21),
        interface="bank",
        source_ref="B-1",
        evidence=["bank:1"],
    )
    assert row.state == "rejected" and "cap" in row.reason
    _do(w, ev.propose_deduction, principal=w.officer, **{**kw, "deed_date": date(2026, 10, 30)})  # October


def test_a_department_withdrawing_a_record_undoes_its_effect(world):
    w = world
    posted = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["B"],
        indicator="SM01",
        points=5,
        deed_date=date(2026, 11, 20),
        interface="volunteering",
        source_ref="feeds:v:1:v1",
        evidence=[],
    )
    pending = _do(
        w,
        ev.propose_from_record,
        resident_id=w.ids["C"],
        indicator="PC05",
        points=50,
        deed_date=date(2026, 11, 20),
        interface="court",
        source_ref="feeds:c:1:v1",
        evidence=[],
    )
    for interface, ref in (("volunteering", "feeds:v:1:v1"), ("court", "feeds:c:1:v1")):
        for _ in range(2):  # idempotent
            _do(
                w,
                ev.withdraw_from_record,
                interface=interface,
                source_ref=ref,
                actor="feed:x",
                reason="记录有误",
            )
    assert _do(w, ev.withdraw_from_record, interface="court", source_ref="nope", actor="x", reason="") is None
    with w.container.uow() as uow:
        entries = ledger.entries_of(uow, resident_id=w.ids["B"])
        assert [(e.points, e.source) for e in entries] == [(5, "department"), (-5, "correction")]
        assert ev.get(uow, principal=w.officer, item_id=posted.id).state == "reversed"
        assert ev.get(uow, principal=w.officer, item_id=pending.id).state == "withdrawn"
        assert ledger.entries_of(uow, resident_id=w.ids["C"]) == []
