"""Property tests: whatever sequence of actions anybody tries, the state machine never posts points
without the approvals the policy requires, never posts twice, and never rejects without a reason."""

import contextlib
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.errors import MoralbankError
from moralbank.evaluation import domain as d

RULES = d.Rules(
    version="p",
    indicators={
        "VOL": d.IndicatorRule("VOL", "v", "social", min_points=1, max_points=5, quorum=2),
        "ONE": d.IndicatorRule("ONE", "o", "social", min_points=1, max_points=3, quorum=1),
        "AUTO": d.IndicatorRule(
            "AUTO", "a", "social", min_points=1, max_points=9, record_stage=d.Stage.AUTO, auto_post=True
        ),
        "NOAUTO": d.IndicatorRule(
            "NOAUTO", "n", "social", min_points=1, max_points=9, record_stage=d.Stage.AUTO
        ),
        "DEBT": d.IndicatorRule(
            "DEBT",
            "d",
            "personal",
            negative=True,
            min_points=5,
            max_points=20,
            basis="第十二条",
            severity=d.Severity.GENERAL,
        ),
    },
)
HOUSEHOLD = {"A", "A2"}
RESIDENTS = ["A", "A2", "B", "C", "D", "X"]  # X lives in another grid
OFFICERS = ["user:1", "user:2", "user:3"]

starts = st.sampled_from(
    [
        "deed",
        "assisted",
        "deduction",
        "record:VOL",
        "record:ONE",
        "record:AUTO",
        "record:NOAUTO",
        "record:DEBT",
        "deed:ONE",
    ]
)
actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("vote"),
            st.sampled_from(RESIDENTS + ["worker"]),
            st.booleans(),
            st.sampled_from(["", "不实"]),
        ),
        st.tuples(
            st.just("approve"),
            st.sampled_from(OFFICERS),
            st.sampled_from([None, None, None, 1, 3, 5, 10, 20, 30, -10]),
        ),
        st.tuples(st.just("reject"), st.sampled_from(OFFICERS), st.sampled_from(["", " ", "证据不足"])),
        st.tuples(st.just("reopen"), st.sampled_from(["", "复核"])),
        st.tuples(st.just("withdraw"), st.sampled_from(["", "不要了"])),
        st.tuples(st.just("time"), st.integers(0, 15)),
        st.tuples(st.just("object"), st.booleans(), st.sampled_from(["", "理由"])),
        st.tuples(st.just("post")),
    ),
    max_size=25,
)


def _start(kind):
    if kind in ("deed", "assisted", "deed:ONE"):
        return d.new_deed(
            RULES,
            resident_id="A",
            grid_code="G",
            indicator="ONE" if kind == "deed:ONE" else "VOL",
            actor="user:9" if kind == "assisted" else "resident:A",
            assisted=kind == "assisted",
        )[0]
    if kind == "deduction":
        return d.new_deduction(
            RULES,
            resident_id="A",
            grid_code="G",
            indicator="DEBT",
            points=10,
            severity=None,
            evidence_count=1,
            actor="user:1",
        )[0]
    return d.new_record_proposal(
        RULES,
        resident_id="A",
        grid_code="G",
        indicator=kind.split(":")[1],
        points=RULES.indicators[kind.split(":")[1]].min_points,
        actor="token:1",
    )[0]


@settings(max_examples=300, deadline=None)
@given(starts, actions)
def test_no_points_without_required_approvals_never_twice_every_rejection_reasoned(kind, steps):
    item = _start(kind)
    today = date(2026, 9, 28)
    posted = 0
    prior = None
    for step in steps:
        try:
            match step:
                case ("vote", who, confirm, reason):
                    voter = (
                        d.Voter("user:8", "G", is_grid_worker=True)
                        if who == "worker"
                        else d.Voter(f"resident:{who}", "G2" if who == "X" else "G", resident_id=who)
                    )
                    d.vote(item, voter, confirm=confirm, reason=reason, owner_household=HOUSEHOLD)
                case ("approve", officer, points):
                    d.approve(
                        item,
                        RULES,
                        actor=officer,
                        points=points,
                        today=today,
                        is_workday=d.weekdays_only,
                    )
                case ("reject", officer, reason):
                    d.reject(item, actor=officer, reason=reason)
                case ("reopen", reason):
                    d.reopen(item, actor="user:50", reason=reason)
                case ("withdraw", reason):
                    d.withdraw(item, actor="resident:A", reason=reason)
                case ("time", days):
                    today += timedelta(days=days)
                    if item.state is not d.State.DISPUTED:
                        d.mature(item, today=today)
                case ("object", upheld, reason):
                    if item.state is d.State.DISPUTED:
                        d.settle_dispute(
                            item, upheld=upheld, actor="user:3", reason=reason, prior=prior, today=today
                        )
                    else:
                        before = item.state
                        d.dispute(item, actor="resident:A")
                        prior = before
                case ("post",):
                    d.ready_to_post(item, RULES)
                    rule = RULES.indicators[item.indicator]
                    # the approvals the policy requires are all there
                    if item.negative:
                        assert len(set(item.approvals)) >= 2 and today >= item.effective_on
                        assert not item.automated
                    elif item.automated:
                        assert rule.auto_post
                    else:
                        assert item.approvals
                        if item.origin in (d.Origin.SELF, d.Origin.ASSISTED):
                            # the quorum in distinct people, none of them the owner's household or outsiders
                            confirmers = {v.voter for v in item.votes if v.confirm}
                            assert len(confirmers) >= max(rule.quorum, 1)
                            assert not confirmers & {"resident:A", "resident:A2", "resident:X"}
                    assert rule.min_points <= item.points <= rule.max_points
                    d.mark_posted(item, 1)
                    posted += 1
        except MoralbankError:
            pass
        if item.state is d.State.REJECTED:
            assert item.reason.strip()
        if item.state is d.State.WITHDRAWN:
            assert item.reason.strip()
    assert posted <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["VOL", "ONE"]),
    st.booleans(),
    st.lists(
        st.tuples(
            st.sampled_from(RESIDENTS + ["worker", "worker2"]), st.booleans(), st.sampled_from(["", "不实"])
        ),
        max_size=8,
    ),
)
def test_grid_stage_needs_a_quorum_of_distinct_eligible_people(indicator, assisted, votes):
    item = d.new_deed(
        RULES,
        resident_id="A",
        grid_code="G",
        indicator=indicator,
        actor="user:8" if assisted else "resident:A",
        assisted=assisted,
    )[0]
    for who, confirm, reason in votes:
        if who.startswith("worker"):
            voter = d.Voter(
                "user:8" if who == "worker" else "user:9",
                "G" if who == "worker" else "G2",
                is_grid_worker=True,
            )
        else:
            voter = d.Voter(f"resident:{who}", "G2" if who == "X" else "G", resident_id=who)
        with contextlib.suppress(MoralbankError):
            d.vote(item, voter, confirm=confirm, reason=reason, owner_household=HOUSEHOLD)
    try:
        d.approve(item, RULES, actor="user:1")
        d.ready_to_post(item, RULES)
    except MoralbankError:
        assert item.state is not d.State.APPROVED
        return
    eligible = {"resident:B", "resident:C", "resident:D"} | (set() if assisted else {"user:8"})
    confirmers = {v.voter for v in item.votes if v.confirm}
    assert confirmers <= eligible
    assert len(confirmers) >= RULES.indicators[indicator].quorum
