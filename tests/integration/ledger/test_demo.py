"""The demo history step: plausible entries for every demo resident: deeds through ``ledger.post``,
department records through their interfaces."""

from __future__ import annotations

from datetime import date

from moralbank.demo.history import build_history, plan_history
from moralbank.feeds import service as feeds
from moralbank.ledger import service
from moralbank.policy import service as policy_service
from tests.integration.evaluation.conftest import build_world


def test_history_posts_deeds_records_and_corrections_under_the_active_policy(container) -> None:  # noqa: ANN001
    world = build_world(container)
    line = build_history(container, scale="town", seed=2012)
    assert line.startswith("ledger: ")
    with container.uow(write=False) as uow:
        version = str(policy_service.active(uow).version)
        codes = set(policy_service.active(uow).indicators)
        entries = [e for rid in world.ids.values() for e in service.entries_of(uow, resident_id=rid)]
        report = service.audit(uow)
    assert report.ok and report.tree_size == len(entries) > 0
    assert {e.source for e in entries} >= {"evaluation", "department"}
    assert all(e.policy_version == version and e.indicator in codes for e in entries)
    by_seq = {e.seq: e for e in entries}
    assert any(e.reverses_seq for e in entries)
    for e in entries:
        if e.reverses_seq:
            assert by_seq[e.reverses_seq].resident_id == e.resident_id
            assert e.points == -by_seq[e.reverses_seq].points
    assert all(e.expires_on and e.severity for e in entries if e.points < 0 and not e.reverses_seq)


def test_the_plan_is_the_same_for_the_same_seed(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        policy = policy_service.active(uow)
    people = [(f"R{i:012d}", "330281001001-G01") for i in range(200)]
    one = plan_history(policy, people, today=date(2026, 11, 25), scale="town", seed=1)
    assert one == plan_history(policy, people, today=date(2026, 11, 25), scale="town", seed=1)
    assert one != plan_history(policy, people, today=date(2026, 11, 25), scale="town", seed=2)
    assert 500 < len(one.deeds) + len(one.records) < 1300
    assert len(one.records) > 100  # department records of interfaces that need no consent


def test_department_records_of_interfaces_that_need_consent_go_only_to_who_gave_it(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        policy = policy_service.active(uow)
    people = [(f"R{i:012d}", "330281001001-G01") for i in range(200)]
    needing = {i.name for i in feeds.list_interfaces() if i.consent_required}

    def senders(consented: dict[str, set[str]]) -> set[str]:
        plan = plan_history(
            policy, people, today=date(2026, 11, 25), scale="town", seed=1, consented=consented
        )
        return {r.interface.name for r in plan.records}

    assert senders({}) and not senders({}) & needing
    assert "volunteer_hours" in senders({"volunteer_hours": {rid for rid, _ in people}})
