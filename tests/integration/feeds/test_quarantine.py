"""The quarantine's staff actions and what health makes of them: a reprocess is not an arrival, a row
fixed and accepted moves from quarantined to accepted on the day it arrived, fixes are checked like an
import checks a row, a discard keeps its reason."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from moralbank.auth.domain import SYSTEM
from moralbank.errors import Conflict, InvalidInput
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.feeds.models import FeedHealthDay
from moralbank.residents import service as residents

from .conftest import City


def _health(city: City, interface: str) -> dict:
    with city.container.uow(write=False) as uow:
        return next(h for h in feeds.health(uow) if h["interface"] == interface)


def _days(city: City, interface: str) -> list[tuple]:
    with city.container.uow(write=False) as uow:
        rows = uow.db.query(FeedHealthDay).filter_by(interface=interface).order_by(FeedHealthDay.day)
        return [
            (
                h.day,
                h.received,
                h.accepted,
                h.duplicates,
                h.quarantined,
                h.held_for_consent,
                h.last_arrival_at,
            )
            for h in rows
        ]


def _reconciles(h: dict) -> bool:
    return h["received"] == h["accepted"] + h["duplicates"] + h["quarantined"] + h["held_for_consent"]


def _open_rows(city: City) -> dict[str, dict]:
    with city.container.uow(write=False) as uow:
        return {
            r["reason"]: r for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
        }


def _unmasked(city: City, row: dict) -> dict:
    """The row with its masked ID numbers whole again (the test city's own numbers), to copy its values."""
    whole = {
        k: next(n for n in city.id_numbers if (n[:6], n[-4:]) == (v[:6], v[-4:])) if k in row["masked"] else v
        for k, v in row["values"].items()
    }
    return {**row, "values": whole}


def _good(row: dict, **changes: str) -> dict[str, str]:
    """The row's values, the missing ones filled the way the department's record reads."""
    values = {
        "record_id": row["values"].get("record_id") or f"FIX-{row['id']}",
        "id_number": row["values"].get("id_number"),
        "donated_on": "2026-11-01",
        "kind": "whole_blood",
        "volume_ml": "300",
    }
    return {**values, **changes}


def test_reprocessing_is_not_an_arrival_and_health_follows_the_outcome(city: City, tmp_path: Path) -> None:
    arrived = city.container.clock.now()
    p = city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9)
    import_file(city.container, interface="blood_donation", path=p)
    before = _health(city, "blood_donation")
    assert before["received"] == 20 and before["quarantined"] == 9 and _reconciles(before)

    # nothing fixed: two reprocesses, the next day, change no figure and no arrival time
    city.container.clock.advance(days=1, hours=3)
    for _ in range(2):
        with city.container.uow() as uow:
            feeds.quarantine_reprocess(uow, actor="t")
            uow.commit()
    after = _health(city, "blood_donation")
    assert {k: after[k] for k in before if k != "hours_since_arrival"} == {
        k: before[k] for k in before if k != "hours_since_arrival"
    }
    assert after["last_arrival_at"] == arrived
    assert [d[0] for d in _days(city, "blood_donation")] == [city.today - timedelta(days=1)]

    # two rows fixed, one discarded: the fixed ones move from quarantined to accepted, on their day
    rows = _open_rows(city)
    with city.container.uow() as uow:
        feeds.quarantine_fix(
            uow, quarantine_id=rows["bad_date"]["id"], values={"donated_on": "2026-11-01"}, actor="t"
        )
        feeds.quarantine_fix(
            uow, quarantine_id=rows["ragged_row"]["id"], values=_good(rows["ragged_row"]), actor="t"
        )
        feeds.quarantine_discard(uow, quarantine_id=rows["wrong_type"]["id"], actor="t", reason="test row")
        counts = feeds.quarantine_reprocess(uow, actor="t")
        uow.commit()
    assert counts.accepted == 2
    for _ in range(2):  # and again: nothing left to move
        with city.container.uow() as uow:
            feeds.quarantine_reprocess(uow, actor="t")
            uow.commit()
    fixed = _health(city, "blood_donation")
    assert fixed["received"] == 20
    assert fixed["accepted"] == before["accepted"] + 2
    assert fixed["quarantined"] == 7  # the discarded row stays a row that did not go in
    assert fixed["quarantined_rate"] == 0.35 and _reconciles(fixed)
    assert fixed["last_arrival_at"] == arrived
    assert fixed["quarantine_open"] == 6
    ((day, received, accepted, duplicates, quarantined, held, last),) = _days(city, "blood_donation")
    assert (day, received, quarantined, last) == (city.today - timedelta(days=1), 20, 7, arrived)
    assert received == accepted + duplicates + quarantined + held


def test_a_fixed_row_of_a_resident_without_consent_moves_to_held_and_then_to_accepted(
    city: City, tmp_path: Path
) -> None:
    p = city.write(tmp_path / "b.csv", "blood_donation", 12, bad=9, people=[city.id_numbers[9]])
    import_file(city.container, interface="blood_donation", path=p)
    rows = _open_rows(city)
    with city.container.uow() as uow:
        feeds.quarantine_fix(
            uow, quarantine_id=rows["bad_date"]["id"], values={"donated_on": "2026-11-01"}, actor="t"
        )
        feeds.quarantine_reprocess(uow, actor="t")
        uow.commit()
    held = _health(city, "blood_donation")
    assert (held["received"], held["quarantined"], held["held_for_consent"]) == (12, 8, 4)
    city.container.clock.advance(days=2)
    with city.container.uow() as uow:
        residents.grant_consent(
            uow,
            resident_id=city.resident_ids[9],
            principal=SYSTEM,
            text_version="v2",
            interface="blood_donation",
        )
        assert feeds.release_held(uow, actor="t") == 4
        uow.commit()
    used = _health(city, "blood_donation")
    assert (used["received"], used["accepted"], used["held_for_consent"], used["quarantined"]) == (
        12,
        4,
        0,
        8,
    )
    assert len(_days(city, "blood_donation")) == 1


def test_a_fix_that_leaves_a_required_field_empty_or_invalid_is_refused(city: City, tmp_path: Path) -> None:
    p = city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9)
    import_file(city.container, interface="blood_donation", path=p)
    rows = _open_rows(city)
    blank = dict.fromkeys(feeds.get_interface("blood_donation").field_names, "")
    with city.container.uow() as uow, pytest.raises(InvalidInput) as refused:
        feeds.quarantine_fix(uow, quarantine_id=rows["ragged_row"]["id"], values=blank, actor="t")
    assert {p.field for p in refused.value.problems} == set(blank)
    assert "field donated_on" in str(refused.value)
    for value, words in (
        ("2026-13-01", "not a valid date"),
        ("2027-01-05", "in the future"),
        ("", "required"),
    ):
        with city.container.uow() as uow, pytest.raises(InvalidInput) as refused:
            feeds.quarantine_fix(
                uow, quarantine_id=rows["bad_date"]["id"], values={"donated_on": value}, actor="t"
            )
        assert [p.field for p in refused.value.problems] == ["donated_on"]
        assert words in str(refused.value)
    with city.container.uow() as uow, pytest.raises(InvalidInput) as refused:
        feeds.quarantine_fix(
            uow, quarantine_id=rows["wrong_type"]["id"], values={"volume_ml": "十二"}, actor="t"
        )
    assert [p.field for p in refused.value.problems] == ["volume_ml"]
    assert {r["status"] for r in _open_rows(city).values()} == {"open"}


def test_a_discard_needs_a_reason_which_stays_with_the_row(city: City, tmp_path: Path) -> None:
    p = city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9)
    import_file(city.container, interface="blood_donation", path=p)
    qid = _open_rows(city)["bad_date"]["id"]
    with city.container.uow() as uow, pytest.raises(InvalidInput) as refused:
        feeds.quarantine_discard(uow, quarantine_id=qid, actor="t", reason="  ")
    assert [p.field for p in refused.value.problems] == ["reason"]
    long_reason = "部门确认此记录作废，" * 30
    with city.container.uow() as uow:
        feeds.quarantine_discard(uow, quarantine_id=qid, actor="t", reason=long_reason)
        uow.commit()
    with city.container.uow(write=False) as uow:
        (row,) = feeds.quarantine_list(uow, principal=SYSTEM, status="discarded")
    assert row["discard_reason"] == long_reason.strip()[: feeds.DISCARD_REASON_MAX]
    assert row["detail"].startswith("不是有效日期") and row["resolved_by"] == "t"


def _status(city: City, qid: int) -> str:
    with city.container.uow(write=False) as uow:
        (row,) = [r for r in feeds.quarantine_list(uow, principal=SYSTEM, status=None) if r["id"] == qid]
        return row["status"]


def test_a_reprocessed_row_says_what_became_of_its_record(city: City, tmp_path: Path) -> None:
    """Taken in, held for the resident's consent, or the same as a record already stored: each is
    what the row says once it leaves the quarantine (not "taken in" for all three)."""
    p = city.write(tmp_path / "b.csv", "blood_donation", 12, bad=9, people=[city.id_numbers[9]])
    import_file(city.container, interface="blood_donation", path=p)
    p = city.write(tmp_path / "c.csv", "blood_donation", 20, bad=9, seed=2)
    import_file(city.container, interface="blood_donation", path=p)
    with city.container.uow(write=False) as uow:
        rows = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
    held = next(r for r in rows if r["reason"] == "bad_date" and r["file"] == "b.csv")
    taken = next(r for r in rows if r["reason"] == "bad_date" and r["file"] == "c.csv")
    same = next(r for r in rows if r["reason"] == "ragged_row" and r["file"] == "c.csv")
    with city.container.uow() as uow:
        feeds.quarantine_fix(uow, quarantine_id=held["id"], values={"donated_on": "2026-11-01"}, actor="t")
        feeds.quarantine_fix(uow, quarantine_id=taken["id"], values=_good(_unmasked(city, taken)), actor="t")
        feeds.quarantine_fix(uow, quarantine_id=same["id"], values=_good(_unmasked(city, taken)), actor="t")
        counts = feeds.quarantine_reprocess(uow, actor="t", interface="blood_donation")
        uow.commit()
    assert (counts.accepted, counts.held_for_consent, counts.duplicates) == (1, 1, 1)
    assert _status(city, held["id"]) == "held"
    assert {_status(city, taken["id"]), _status(city, same["id"])} == {"reprocessed", "duplicate"}
    with city.container.uow(write=False) as uow:
        left = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation", status="held")
    assert [r["id"] for r in left] == [held["id"]]
    # a row that left the quarantine is not fixed or discarded again, whatever became of it
    with city.container.uow() as uow, pytest.raises(Conflict, match="is already reprocessed"):
        feeds.quarantine_discard(uow, quarantine_id=held["id"], actor="t", reason="late")


def test_a_line_that_is_not_json_is_shown_to_staff_who_retype_it(city: City, tmp_path: Path) -> None:
    # the row was kept with no values: the page showed an empty form and nothing of what arrived
    record = {
        "record_id": "JL-1",
        "id_number": city.id_numbers[0],
        "donated_on": "2026-11-01",
        "kind": "whole_blood",
        "volume_ml": 300,
    }
    broken = json.dumps(record)[:-1] + ",}"  # a trailing comma: not JSON
    path = tmp_path / "b.jsonl"
    path.write_text(broken + "\n", encoding="utf-8")
    import_file(city.container, interface="blood_donation", path=path)
    (row,) = _open_rows(city).values()
    assert (row["reason"], row["field"], row["values"]) == ("bad_json", None, {"_line": broken})
    with city.container.uow() as uow:
        fixed = feeds.quarantine_fix(
            uow, quarantine_id=row["id"], values={k: str(v) for k, v in record.items()}, actor="t"
        )
        assert "_line" not in fixed["values"]  # the fix replaces the text with the fields
        counts = feeds.quarantine_reprocess(uow, actor="t")
        uow.commit()
    assert counts.accepted == 1 and _status(city, row["id"]) == "reprocessed"
