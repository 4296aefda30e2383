"""The demo city's department history and its return loop: every department entry comes from a record
of an installed interface, as that interface's rules would post it, and the export to the public credit
platform returns most residents' records and withholds those of the few who did not consent."""

from __future__ import annotations

import csv
from pathlib import Path

from moralbank.bootstrap import Container
from moralbank.demo.city import build_city
from moralbank.demo.history import build_history
from moralbank.evaluation.models import EvaluationItem
from moralbank.feeds import service as feeds
from moralbank.feeds.domain import Interface
from moralbank.ledger.models import LedgerEntry
from moralbank.policy import service as policy_service
from moralbank.residents import service as residents


def possible(iface: Interface, caps: dict[str, tuple[int, int]]) -> set[tuple[str, int]]:
    """Every (indicator, points) the interface's rules can give a record, clamped as an import does."""
    out = set()
    for rule in iface.rules:
        lo, hi = caps[rule.indicator]
        for units in range(1, 100) if rule.per else (1,):
            points = rule.points * units
            if rule.max_points is not None:
                points = max(-abs(rule.max_points), min(abs(rule.max_points), points))
            out.add((rule.indicator, max(lo, min(hi, points))))
    return out


def policy_caps(container: Container) -> dict[str, tuple[int, int]]:
    with container.uow(write=False) as uow:
        indicators = policy_service.active(uow).indicators
    return {
        c: (min(i.min_points, i.max_points), max(i.min_points, i.max_points)) for c, i in indicators.items()
    }


def test_every_department_entry_comes_from_an_interface_whose_rules_allow_it(container: Container) -> None:
    build_city(container, scale="town", seed=2012)
    build_history(container, scale="town", seed=2012)
    caps = policy_caps(container)
    catalogue = feeds.catalogue()
    with container.uow(write=False) as uow:
        e, i = LedgerEntry, EvaluationItem
        entries = (
            uow.db.query(e.resident_id, e.actor, e.indicator, e.points, i.interface, i.source_ref)
            .join(i, i.posted_seq == e.seq)
            .filter(e.source == "department")
            .all()
        )
        unexplained = uow.db.query(e).filter(e.source == "department").count() - len(entries)
        needing = {i.name for i in catalogue.values() if i.consent_required}
        consented = {
            name: residents.consented_residents(uow, resident_ids=[row[0] for row in entries], interface=name)
            for name in needing
        }
    assert len(entries) > 2000 and unexplained == 0  # each posted by the evaluation item of a record
    used = set()
    for rid, actor, indicator, points, name, ref in entries:
        # posted on its own by the interface, or a deduction once its objection window passed
        assert actor in (f"feed:{name}", "system:evaluation"), actor
        assert (indicator, points) in possible(catalogue[name], caps), (name, indicator, points)
        assert ref.startswith(f"feeds:{name}:") and ref.endswith(":v1"), ref  # feeds.service.source_ref
        assert name not in needing or rid in consented[name], (name, rid)
        used.add(name)
    assert len(used) >= 10  # many departments, not one
    assert any(points < 0 for *_, points, _, _ in entries)  # deductions, after review


def test_the_export_returns_most_residents_records_and_withholds_the_rest(
    container: Container, tmp_path: Path
) -> None:
    build_city(container, scale="town", seed=2012)
    build_history(container, scale="town", seed=2012)
    with container.uow() as uow:
        manifest = feeds.export(uow, out_dir=tmp_path, actor="test")
        uow.commit()
    rows, withheld = manifest["rows"], manifest["withheld_without_consent"]
    assert rows > 3 * withheld > 0
    departments = {i.department_zh for i in feeds.list_interfaces()}
    with open(Path(manifest["directory"]) / "results.csv", encoding="utf-8-sig", newline="") as f:
        records = list(csv.DictReader(f))
    # department entries name the department that provided them, not the moral bank
    providers = {r["信息提供单位"] for r in records if r["信息来源"] == "department"}
    assert providers <= departments and len(providers) >= 10
