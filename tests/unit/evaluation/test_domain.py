from datetime import date

import pytest

from moralbank.errors import Conflict, InvalidInput, PermissionDenied
from moralbank.evaluation import domain as d

RULES = d.Rules(
    version="t",
    indicators={
        "VOL": d.IndicatorRule("VOL", "志愿服务", "social", min_points=1, max_points=5, quorum=2),
        "AUTO": d.IndicatorRule(
            "AUTO", "献血", "social", min_points=2, max_points=10, record_stage=d.Stage.AUTO, auto_post=True
        ),
        "DEBT": d.IndicatorRule(
            "DEBT",
            "拖欠",
            "personal",
            negative=True,
            min_points=5,
            max_points=20,
            basis="《管理办法》第十二条",
            severity=d.Severity.GENERAL,
        ),
        "NOBASIS": d.IndicatorRule("NOBASIS", "x", "personal", negative=True, min_points=1, max_points=5),
    },
)


def _voter(rid, grid="G1"):
    return d.Voter(actor=f"resident:{rid}", grid_code=grid, resident_id=rid)


def test_deed_needs_quorum_then_officer():
    item, ev = d.new_deed(RULES, resident_id="A", grid_code="G1", indicator="VOL", actor="resident:A")
    assert ev.action == "submitted" and item.state is d.State.GRID_REVIEW
    with pytest.raises(Conflict):
        d.approve(item, RULES, actor="user:1", points=3)
    d.vote(item, _voter("B"), confirm=True)
    assert item.state is d.State.GRID_REVIEW
    d.vote(item, d.Voter("user:9", "G1", is_grid_worker=True), confirm=True)
    assert item.state is d.State.VILLAGE_REVIEW
    with pytest.raises(InvalidInput):
        d.approve(item, RULES, actor="user:1", points=6)
    d.approve(item, RULES, actor="user:1", points=4)
    d.ready_to_post(item, RULES)
    d.mark_posted(item, 17)
    with pytest.raises(Conflict):
        d.ready_to_post(item, RULES)


def test_grid_rules_self_household_outsider_one_voice():
    item, _ = d.new_deed(RULES, resident_id="A", grid_code="G1", indicator="VOL", actor="resident:A")
    with pytest.raises(PermissionDenied):
        d.vote(item, _voter("A"), confirm=True)
    with pytest.raises(PermissionDenied):
        d.vote(item, _voter("S"), confirm=True, owner_household={"A", "S"})
    with pytest.raises(PermissionDenied):
        d.vote(item, _voter("Z", grid="G2"), confirm=True)
    d.vote(item, _voter("B"), confirm=True)
    with pytest.raises(Conflict):
        d.vote(item, _voter("B"), confirm=False, reason="changed my mind")
    with pytest.raises(InvalidInput):
        d.vote(item, _voter("C"), confirm=False)


def test_grid_disputes_reject_with_reasons():
    item, _ = d.new_deed(RULES, resident_id="A", grid_code="G1", indicator="VOL", actor="resident:A")
    d.vote(item, _voter("B"), confirm=False, reason="没有看到")
    d.vote(item, _voter("C"), confirm=False, reason="那天下雨")
    assert item.state is d.State.REJECTED and "那天下雨" in item.reason


def test_deduction_needs_basis_evidence_and_second_officer():
    with pytest.raises(InvalidInput):
        d.new_deduction(
            RULES,
            resident_id="A",
            grid_code="G1",
            indicator="NOBASIS",
            points=3,
            severity=None,
            evidence_count=1,
            actor="user:1",
        )
    with pytest.raises(InvalidInput):
        d.new_deduction(
            RULES,
            resident_id="A",
            grid_code="G1",
            indicator="DEBT",
            points=10,
            severity=None,
            evidence_count=0,
            actor="user:1",
        )
    item, _ = d.new_deduction(
        RULES,
        resident_id="A",
        grid_code="G1",
        indicator="DEBT",
        points=10,
        severity=None,
        evidence_count=1,
        actor="user:1",
    )
    with pytest.raises(PermissionDenied):
        d.approve(item, RULES, actor="user:1", today=date(2026, 9, 30))
    d.approve(item, RULES, actor="user:2", today=date(2026, 9, 30))
    assert item.state is d.State.NOTICE
    # objection window of 5 working days across the National Day holiday and its make-up Saturday
    assert item.effective_on == date(2026, 10, 7)  # weekdays only here; the Chinese calendar in test_workdays
    assert not d.mature(item, today=item.effective_on.replace(day=item.effective_on.day - 1))
    assert d.mature(item, today=item.effective_on)
    d.ready_to_post(item, RULES)
    assert d.ledger_points(item) == -10


def test_record_proposals_auto_post_only_positive_when_allowed():
    item, _ = d.new_record_proposal(
        RULES, resident_id="A", grid_code="G1", indicator="AUTO", points=5, actor="token:1"
    )
    assert item.state is d.State.APPROVED and item.automated
    d.ready_to_post(item, RULES)
    neg, _ = d.new_record_proposal(
        RULES, resident_id="A", grid_code="G1", indicator="DEBT", points=5, actor="token:1"
    )
    assert neg.state is d.State.VILLAGE_REVIEW and not neg.automated
    vol, _ = d.new_record_proposal(
        RULES, resident_id="A", grid_code="G1", indicator="VOL", points=5, actor="token:1"
    )
    assert vol.state is d.State.VILLAGE_REVIEW


def test_rejection_needs_reason_and_reopen():
    item, _ = d.new_record_proposal(
        RULES, resident_id="A", grid_code="G1", indicator="VOL", points=5, actor="token:1"
    )
    with pytest.raises(InvalidInput):
        d.reject(item, actor="user:1", reason="  ")
    d.reject(item, actor="user:1", reason="no evidence")
    d.reopen(item, actor="user:5", reason="evidence arrived")
    assert item.state is d.State.VILLAGE_REVIEW


def test_display_period_capped_at_five_years():
    rules = d.Rules(version="x", indicators={}, display_months={d.Severity.SERIOUS: 120})
    assert d.display_until(rules, d.Severity.SERIOUS, date(2026, 1, 31)) == date(2031, 1, 31)
    assert d.display_until(RULES, d.Severity.MINOR, date(2026, 11, 30)) == date(2027, 2, 28)


def test_legal_limits_cannot_be_loosened():
    rules = d.Rules(version="x", indicators={}, deadlines={"objection_decide": 20, "objection_mark": 3})
    assert d.deadline(rules, "objection_decide") == 5 and d.deadline(rules, "objection_mark") == 1


def test_cap_and_rate():
    rule = d.IndicatorRule(
        "V", "v", "a", caps=(d.CapRule("month", max_points=10), d.CapRule("day", max_count=1))
    )
    d.check_cap(rule, lambda p: (7, 0), 3)
    with pytest.raises(Conflict):
        d.check_cap(rule, lambda p: (8, 0), 3)
    with pytest.raises(Conflict):
        d.check_cap(rule, lambda p: (0, 1), 3)
    from moralbank.errors import RateLimited

    d.check_rate(RULES, last_hour=2, today=4)
    with pytest.raises(RateLimited):
        d.check_rate(RULES, last_hour=0, today=5)
    with pytest.raises(RateLimited):
        d.check_rate(RULES, last_hour=3, today=3)


def test_deed_date_window_and_evidence():
    rules = d.Rules(
        version="t", indicators={"E": d.IndicatorRule("E", "e", "a", evidence_required=True, quorum=0)}
    )
    with pytest.raises(InvalidInput) as e:
        d.new_deed(
            rules,
            resident_id="A",
            grid_code="G",
            indicator="E",
            actor="resident:A",
            deed_date=date(2026, 12, 1),
            today=date(2026, 11, 25),
        )
    assert {p.field for p in e.value.problems} == {"deed_date", "evidence"}
    item, _ = d.new_deed(
        rules,
        resident_id="A",
        grid_code="G",
        indicator="E",
        actor="resident:A",
        deed_date=date(2026, 11, 20),
        today=date(2026, 11, 25),
        evidence_count=1,
    )
    assert item.state is d.State.VILLAGE_REVIEW  # no grid stage for this indicator


def test_rings_pairs_and_longer_cycles():
    conf = []
    for i in range(3):
        conf += [("A", "B", 10 + i), ("B", "A", 20 + i)]  # reciprocal pair
        conf += [("C", "D", 30 + i), ("D", "E", 40 + i), ("E", "C", 50 + i)]  # 3-cycle
    conf += [("F", "G", 60), ("G", "F", 61)]  # once each: not a ring
    rings = d.find_rings(conf, min_each=2, max_length=4)
    assert [r.members for r in rings] == [("A", "B"), ("C", "D", "E")]
    assert rings[0].edges[("A", "B")] == (10, 11, 12)
    assert d.find_rings(conf, min_each=2, max_length=2)[0].members == ("A", "B")
    assert len(d.find_rings(conf, min_each=2, max_length=2)) == 1


def test_period_bounds():
    assert d.period_start(date(2026, 11, 25), "week") == date(2026, 11, 23)
    assert d.period_end(date(2026, 11, 25), "week") == date(2026, 11, 30)
    assert d.period_end(date(2026, 12, 31), "month") == date(2027, 1, 1)
    assert d.period_end(date(2026, 5, 2), "quarter") == date(2026, 7, 1)
    assert d.period_end(date(2026, 5, 2), "year") == date(2027, 1, 1)


def test_an_officer_does_not_decide_an_objection_to_their_own_decision():
    assert d.decided_by("user:21", "objection", ["user:21", "user:22"])
    assert not d.decided_by("user:23", "objection", ["user:21", "user:22"])
    assert not d.decided_by("user:21", "repair", ["user:21"])  # a repair challenges no decision
