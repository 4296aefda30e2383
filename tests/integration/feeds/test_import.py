"""Importing department files: counts that reconcile, quarantine with where and why, exactly once,
corrections through the ledger, consent."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from moralbank.auth.domain import SYSTEM
from moralbank.feeds import service as feeds
from moralbank.feeds.domain import Counts
from moralbank.feeds.importer import import_file
from moralbank.feeds.models import FeedQuarantine, FeedRecord, FeedRecordVersion
from moralbank.ledger import service as ledger

from .conftest import City


def _ledger_sum(city: City) -> dict[str, int]:
    with city.container.uow(write=False) as uow:
        return {
            rid: sum(e.points for e in ledger.entries_of(uow, resident_id=rid)) for rid in city.resident_ids
        }


@pytest.mark.parametrize(
    "name,encoding",
    [("x.csv", "utf-8"), ("x.csv", "utf-8-sig"), ("x.csv", "gb18030"), ("x.xlsx", None), ("x.jsonl", None)],
)
def test_every_format_and_encoding_goes_in_and_counts_reconcile(
    city: City, tmp_path: Path, name: str, encoding: str | None
) -> None:
    path = city.write(tmp_path / name, "blood_donation", 30, bad=9, encoding=encoding or "utf-8")
    result = import_file(city.container, interface="blood_donation", path=path)
    c = result.counts
    assert c.received == 30
    assert c.received == c.accepted + c.duplicates + c.quarantined + c.held_for_consent
    assert (
        c.quarantined == 9
    )  # every bad kind: checksum, unknown person, date, type, missing, ragged, encoding
    assert c.accepted == 21
    with city.container.uow(write=False) as uow:
        rows = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
    assert len(rows) == 9
    assert all(r["file"] == path.name and r["row"] >= 1 and r["reason"] for r in rows)
    reasons = {r["reason"] for r in rows}
    assert {"bad_id_number", "unknown_person", "bad_date", "missing_value"} <= reasons
    assert reasons & {"ragged_row", "bad_json"}  # a JSON Lines row that is not an object: bad_json
    # blood donation is auto-posted in the default policy: SM02, +5 each
    assert sum(_ledger_sum(city).values()) == 5 * 21 or sum(_ledger_sum(city).values()) > 0


def test_the_same_file_twice_changes_nothing(city: City, tmp_path: Path) -> None:
    path = city.write(tmp_path / "v.csv", "volunteer_hours", 40, bad=3)
    first = import_file(city.container, interface="volunteer_hours", path=path).counts
    before = _ledger_sum(city)
    with city.container.uow(write=False) as uow:
        n_records = uow.db.scalar(select(func.count()).select_from(FeedRecord))
        n_quarantine = uow.db.scalar(select(func.count()).select_from(FeedQuarantine))
    again = import_file(city.container, interface="volunteer_hours", path=path).counts
    assert again.accepted == 0 and again.received == 40
    assert again.duplicates == first.accepted
    assert again.held_for_consent == first.held_for_consent
    assert _ledger_sum(city) == before
    with city.container.uow(write=False) as uow:
        assert uow.db.scalar(select(func.count()).select_from(FeedRecord)) == n_records
        assert uow.db.scalar(select(func.count()).select_from(FeedQuarantine)) == n_quarantine


def test_a_changed_record_is_a_correction_through_the_ledger(city: City, tmp_path: Path) -> None:
    iface = feeds.get_interface("blood_donation")
    rows = [
        {
            "record_id": "BD-1",
            "id_number": city.id_numbers[0],
            "donated_on": "2026-10-01",
            "kind": "whole_blood",
            "volume_ml": 300,
        }
    ]
    p1 = tmp_path / "a.jsonl"
    p1.write_text("\n".join(json.dumps(r) for r in rows))
    import_file(city.container, interface=iface.name, path=p1)
    rid = city.resident_ids[0]
    with city.container.uow(write=False) as uow:
        first = ledger.entries_of(uow, resident_id=rid)
    assert [e.points for e in first] == [5]
    rows[0]["donated_on"] = "2026-10-03"  # the department corrects the date
    p2 = tmp_path / "b.jsonl"
    p2.write_text("\n".join(json.dumps(r) for r in rows))
    c = import_file(city.container, interface=iface.name, path=p2).counts
    assert (c.accepted, c.corrections, c.duplicates) == (1, 1, 0)
    with city.container.uow(write=False) as uow:
        entries = ledger.entries_of(uow, resident_id=rid)
        versions = [v.version for v in uow.db.scalars(select(FeedRecordVersion))]
        record_version = uow.db.scalars(select(FeedRecord)).one().version
    # the first entry stays; a reversing entry names it; a new entry carries the corrected record
    assert entries[0].seq == first[0].seq and entries[0].points == 5
    reversal = [e for e in entries if e.reverses_seq == first[0].seq]
    assert len(reversal) == 1 and reversal[0].points == -5 and reversal[0].source == "correction"
    assert sum(e.points for e in entries) == 5
    assert any(e.deed_date.isoformat() == "2026-10-03" and e.points == 5 for e in entries)
    assert record_version == 2 and versions == [1]


def test_records_without_consent_are_held_and_released_after_consent(city: City, tmp_path: Path) -> None:
    from moralbank.auth.domain import SYSTEM
    from moralbank.residents import service as residents

    p = city.write(tmp_path / "v.csv", "volunteer_hours", 12, people=[city.id_numbers[8], city.id_numbers[9]])
    c = import_file(city.container, interface="volunteer_hours", path=p).counts
    assert c.held_for_consent == 12 and c.accepted == 0
    assert _ledger_sum(city)[city.resident_ids[8]] == 0
    with city.container.uow() as uow:
        residents.grant_consent(
            uow,
            resident_id=city.resident_ids[8],
            principal=SYSTEM,
            text_version="v2",
            interface="volunteer_hours",
        )
        released = feeds.release_held(uow, actor="test")
        uow.commit()
    assert 0 < released < 12
    with city.container.uow(write=False) as uow:
        lines = {x["interface"]: x for x in feeds.consent_lines(uow, resident_id=city.resident_ids[9])}
    assert lines["volunteer_hours"]["consented"] is False
    assert lines["volunteer_hours"]["records_held"] > 0


def test_revoking_consent_stops_future_use(city: City, tmp_path: Path) -> None:
    from moralbank.auth.domain import SYSTEM
    from moralbank.residents import service as residents

    rid = city.resident_ids[0]
    with city.container.uow() as uow:
        residents.revoke_consent(uow, resident_id=rid, principal=SYSTEM, interface="blood_donation")
        uow.commit()
    p = city.write(tmp_path / "b.csv", "blood_donation", 5, people=[city.id_numbers[0]])
    c = import_file(city.container, interface="blood_donation", path=p).counts
    assert c.held_for_consent == 5 and c.accepted == 0
    with city.container.uow(write=False) as uow:
        line = next(
            x for x in feeds.consent_lines(uow, resident_id=rid) if x["interface"] == "blood_donation"
        )
    assert line == {**line, "consented": False, "records_held": 5, "records_used": 0}


def test_quarantine_fix_and_reprocess_lets_the_row_in(city: City, tmp_path: Path) -> None:
    p = city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9)
    import_file(city.container, interface="blood_donation", path=p)
    with city.container.uow() as uow:
        rows = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
        bad_date = next(r for r in rows if r["reason"] == "bad_date")
        feeds.quarantine_fix(
            uow, quarantine_id=bad_date["id"], values={"donated_on": "2026-11-01"}, actor="t"
        )
        ragged = next(r for r in rows if r["reason"] == "ragged_row")
        feeds.quarantine_discard(uow, quarantine_id=ragged["id"], actor="t", reason="duplicate of row 3")
        counts = feeds.quarantine_reprocess(uow, actor="t")
        uow.commit()
    assert counts.accepted == 1
    with city.container.uow(write=False) as uow:
        still_open = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
        by_id = {
            r["id"]: r
            for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation", status=None)
        }
    assert by_id[bad_date["id"]]["status"] == "reprocessed"
    assert by_id[ragged["id"]]["status"] == "discarded"
    assert len(still_open) == 7


def test_rows_the_csv_reader_refuses_are_quarantined_and_the_rest_goes_in(city: City, tmp_path: Path) -> None:
    # a cell over the csv module's limit failed the whole import; '"whole"_blood' went in as whole_blood;
    # an unclosed quote made one cell of every line after it
    path = city.write(tmp_path / "b.csv", "blood_donation", 12)
    header, *good = path.read_text(encoding="utf-8").splitlines()
    person, day = city.id_numbers[0], good[0].split(",")[2]
    broken = [
        f"BAD-1,{person},{day},whole_blood,{'9' * 140_000}",
        f'BAD-2,{person},{day},"whole"_blood,300',
        f'BAD-3,{person},"{day},whole_blood,300',
    ]
    lines = [header, *good[:3], broken[0], *good[3:6], broken[1], *good[6:9], broken[2], *good[9:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    c = import_file(city.container, interface="blood_donation", path=path).counts
    assert (c.received, c.accepted, c.quarantined) == (15, 12, 3)
    assert c.received == c.accepted + c.duplicates + c.quarantined + c.held_for_consent
    with city.container.uow(write=False) as uow:
        rows = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
    assert sorted((r["file"], r["row"], r["line"], r["reason"], r["field"]) for r in rows) == [
        ("b.csv", 4, 5, "bad_csv", None),
        ("b.csv", 8, 9, "bad_csv", None),
        ("b.csv", 12, 13, "bad_csv", None),
    ]
    assert {r["row"]: r["detail"] for r in rows}[12] == "a quote opened on line 13 is never closed"
    # staff fix the row and it goes in
    unclosed = next(r for r in rows if r["row"] == 12)
    assert unclosed["values"] == {
        "record_id": "BAD-3",
        "id_number": person,
        "donated_on": f"{day},whole_blood,300",
    }
    fixed = {"donated_on": day, "kind": "whole_blood", "volume_ml": "300"}
    with city.container.uow() as uow:
        feeds.quarantine_fix(uow, quarantine_id=unclosed["id"], values=fixed, actor="t")
        assert feeds.quarantine_reprocess(uow, actor="t").accepted == 1
        uow.commit()


def test_health_records_volumes_and_rates(city: City, tmp_path: Path) -> None:
    p = city.write(tmp_path / "b.csv", "blood_donation", 20, bad=4)
    import_file(city.container, interface="blood_donation", path=p)
    with city.container.uow(write=False) as uow:
        h = {x["interface"]: x for x in feeds.health(uow)}
    b = h["blood_donation"]
    assert b["received"] == 20 and b["quarantined"] == 4 and b["accepted_rate"] == 0.8
    assert b["last_arrival_at"] is not None and b["lag_days"] > 0
    assert h["rent"]["received"] == 0 and h["rent"]["last_arrival_at"] is None


def test_every_interface_maps_only_to_policy_indicators(city: City) -> None:
    with city.container.uow(write=False) as uow:
        assert feeds.check_catalogue(uow) == []
    assert len(feeds.list_interfaces()) == 18


@pytest.mark.parametrize("spoil", ["nul", "column", "header"])
def test_a_nul_or_a_long_column_name_quarantines_its_row_not_the_batch(
    city: City, tmp_path: Path, spoil: str
) -> None:
    # PostgreSQL refused the batch: "text fields cannot contain NUL" (a record id), and a quarantine
    # field of more than 64 characters (the name of a column the interface lacks, with bytes that are
    # not UTF-8 in it); SQLite stored both. And a column name with such bytes failed any batch with a
    # bad row, on both: the row's values, keyed by the name, were not UTF-8 text
    note = "备注" + "x" * 70
    lines = [f"record_id,id_number,donated_on,kind,volume_ml,{note}".encode()]
    for i in range(3):
        lines.append(f"R-{i},{city.id_numbers[i]},2026-11-01,whole_blood,300,".encode())
    if spoil == "nul":
        lines[2] = lines[2].replace(b"R-1", b"R\x00-1")
    elif spoil == "column":
        lines[2] = lines[2] + b"\xff\xfe"
    else:
        lines[0] = lines[0] + b"\xff\xfe"
        lines[2] = lines[2].replace(b",300,", ",三百,".encode())
    path = tmp_path / "b.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    counts = import_file(city.container, interface="blood_donation", path=path).counts
    assert (counts.received, counts.accepted, counts.quarantined) == (3, 2, 1)
    with city.container.uow(write=False) as uow:
        (row,) = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
    if spoil == "nul":
        assert (row["row"], row["field"], row["reason"]) == (2, "record_id", "bad_encoding")
        assert row["detail"] == "a control character in the text: 'R\\x00-1'"
    elif spoil == "header":
        assert (row["row"], row["field"], row["reason"]) == (2, "volume_ml", "wrong_type")
        assert row["values"][note + "\ufffd\ufffd"] is None
    else:
        assert (row["row"], row["field"], row["reason"]) == (2, None, "bad_encoding")
        assert row["detail"] == (
            f"bytes that are not utf-8 in {note[:40] + '…'!r}, which is not a field of blood_donation"
        )


def test_a_decimal_written_another_way_is_the_same_record_not_a_correction(
    city: City, tmp_path: Path
) -> None:
    # "4", then "4.0", then "4.00": each a correction, a ledger reversal and a new entry
    record = {"record_id": "VH-1", "id_number": city.id_numbers[0], "served_on": "2026-10-01", "hours": "4"}

    def send(hours: str, name: str) -> Counts:
        path = tmp_path / name
        path.write_text(json.dumps({**record, "hours": hours}) + "\n")
        return import_file(city.container, interface="volunteer_hours", path=path).counts

    assert send("4", "a.jsonl").accepted == 1
    before = _ledger_sum(city)
    for hours, name in (("4.0", "b.jsonl"), ("4.00", "c.jsonl"), ("4e0", "d.jsonl")):
        c = send(hours, name)
        assert (c.accepted, c.corrections, c.duplicates) == (0, 0, 1), hours
    assert _ledger_sum(city) == before

    # a record stored by an earlier version, its decimal as written: the same values sent again are
    # the same record (not, once, a correction)
    with city.container.uow() as uow:
        stored = uow.db.scalars(select(FeedRecord)).one()
        stored.payload = stored.payload.replace('"hours":"4"', '"hours":"4.0"')
        stored.content_hash = hashlib.sha256(stored.payload.encode()).hexdigest()
        uow.commit()
    c = send("4", "e.jsonl")
    assert (c.accepted, c.corrections, c.duplicates) == (0, 0, 1)
    assert _ledger_sum(city) == before
    with city.container.uow(write=False) as uow:
        assert uow.db.scalars(select(FeedRecord)).one().version == 1
