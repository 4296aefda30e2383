"""The demo city's ledger and its residents' data-sharing pages agree: every entry the demo attributes
to a department interface (actor ``feed:<interface>`` or source ``department``) has a record of that
interface behind it, used (so counted on ``/me/data-interfaces``), about the same resident, who had
consented to the interface when the entry was posted if it needs consent."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from moralbank.bootstrap import Container
from moralbank.demo.build import build_demo
from moralbank.evaluation.models import EvaluationItem
from moralbank.feeds import service as feeds
from moralbank.feeds.models import FeedRecord, FeedRecordVersion
from moralbank.kernel.clock import as_utc
from moralbank.ledger.models import LedgerEntry
from moralbank.residents.models import ResidentConsent


def parse_ref(ref: str | None) -> tuple[str, str, int] | None:
    """(interface, record id, version) of a ``feeds.service.source_ref``, else None."""
    if not ref or not ref.startswith("feeds:") or ":v" not in ref:
        return None
    head, _, version = ref.rpartition(":v")
    parts = head.split(":", 2)
    return (parts[1], parts[2], int(version)) if len(parts) == 3 and version.isdigit() else None


def consented_at(acts: list[tuple[datetime, int, bool]], when: datetime) -> bool:
    """Whether the newest consent act (by time, then id) at or before ``when`` grants."""
    before = [a for a in acts if as_utc(a[0]) <= as_utc(when)]
    return bool(before) and max(before)[2]


@dataclass
class Traced:
    """What the department-attributed entries of the ledger come from."""

    entries: Counter[str] = field(default_factory=Counter)  # per interface
    records: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # resident → interface → ids
    problems: list[str] = field(default_factory=list)


def trace_department_entries(container: Container) -> Traced:
    """Follow every entry attributed to a department (actor ``feed:…`` or source ``department``) to its
    record: named by the entry (``feeds.service.source_ref``) or by the evaluation item it posted
    (``evaluation:<id>``, the item's ``source_ref``); a reversal to the entry it reverses."""
    catalogue = feeds.catalogue()
    with container.uow(write=False) as uow:
        db = uow.db
        department = (LedgerEntry.source == "department") | LedgerEntry.actor.like("feed:%")
        entries = {e.seq: e for e in db.query(LedgerEntry).filter(department)}
        items = {
            i.id: (i.interface, i.source_ref)
            for i in db.query(EvaluationItem).filter(EvaluationItem.interface.is_not(None))
        }
        records = {(r.interface, r.source_record_id): r for r in db.query(FeedRecord)}
        versions = {(v.record_id, v.version): v.status for v in db.query(FeedRecordVersion)}
        acts: dict[tuple[str, str], list[tuple[datetime, int, bool]]] = defaultdict(list)
        for c in db.query(ResidentConsent).filter(ResidentConsent.kind == "interface"):
            acts[(c.resident_id, c.subject)].append((c.at, c.id, c.granted))

        def source_of(e: LedgerEntry) -> tuple[str, str, int] | None:
            if e.source_ref and e.source_ref.startswith("evaluation:"):
                interface, ref = items.get(int(e.source_ref.removeprefix("evaluation:")), (None, None))
                found = parse_ref(ref)
                return found if found and found[0] == interface else None
            return parse_ref(e.source_ref)

        out = Traced()
        for e in entries.values():
            target = entries.get(e.reverses_seq) if e.reverses_seq else e
            source = source_of(target) if target is not None else None
            if source is None:
                out.problems.append(f"{e.seq}: {e.actor} {e.source_ref!r}: no department record named")
                continue
            interface, record_id, version = source
            out.entries[interface] += 1
            if e.actor.startswith("feed:") and e.actor != f"feed:{interface}":
                out.problems.append(f"{e.seq}: actor {e.actor} but its record is of {interface}")
            record = records.get((interface, record_id))
            if record is None:
                out.problems.append(f"{e.seq}: {e.actor}: {interface} has no record {record_id}")
                continue
            status = record.status if record.version == version else versions.get((record.id, version))
            if record.resident_id != e.resident_id or status != "used":
                out.problems.append(f"{e.seq}: {interface} record {record_id} v{version} is {status}")
            if catalogue[interface].consent_required and not consented_at(
                acts[(e.resident_id, interface)], e.recorded_at
            ):
                out.problems.append(f"{e.seq}: {e.resident_id} had not consented to {interface}")
            out.records.setdefault(e.resident_id, {}).setdefault(interface, set()).add(record_id)
    return out


@pytest.mark.slow
def test_every_department_entry_of_the_demo_has_a_used_record_of_a_consenting_resident(
    container: Container,
) -> None:
    build_demo(container, scale="town", seed=2012)
    traced = trace_department_entries(container)
    assert sum(traced.entries.values()) > 1000 and len(traced.entries) >= 10, traced.entries
    assert not traced.problems, (
        f"{len(traced.problems)} inconsistent department entries, e.g. {traced.problems[:5]}"
    )
    # ... and the data-sharing page counts those records: the sample resident's, and a few others'
    sample = container.cache["demo_residents"][0]["id"]
    assert sample in traced.records
    with container.uow(write=False) as uow:
        for rid in [sample, *sorted(traced.records)[:20]]:
            lines = {line["interface"]: line for line in feeds.consent_lines(uow, resident_id=rid)}
            for interface, ids in traced.records[rid].items():
                assert lines[interface]["records_used"] >= len(ids), (rid, interface)
                assert lines[interface]["consented"] or not lines[interface]["consent_required"]
