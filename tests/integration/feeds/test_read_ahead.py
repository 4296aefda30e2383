"""The importer reads and validates the next batch in a thread while the current one is written: the
outcome is exactly that of reading in the importing thread, errors while reading reach the caller, and
a batch validated for another day is validated again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from moralbank.bootstrap import Container, bootstrap
from moralbank.config import Settings
from moralbank.errors import InvalidInput
from moralbank.feeds import domain, importer
from moralbank.feeds import service as feeds
from moralbank.feeds.models import FeedImport, FeedQuarantine, FeedRecord
from moralbank.ledger import service as ledger

from ...conftest import create_schema
from .conftest import City, build_city


def _outcome(city: City) -> dict:
    index = {rid: i for i, rid in enumerate(city.resident_ids)}
    with city.container.uow(write=False) as uow:
        return {
            "records": sorted(
                (r.source_record_id, index[r.resident_id], r.version, r.status, r.indicator, r.points)
                for r in uow.db.scalars(select(FeedRecord))
            ),
            "quarantine": sorted(
                (q.row_no, q.reason, q.field) for q in uow.db.scalars(select(FeedQuarantine))
            ),
            "entries": sorted(
                (index[e.resident_id], e.indicator, e.points, e.source)
                for rid in city.resident_ids
                for e in ledger.entries_of(uow, resident_id=rid)
            ),
            "counts": [
                (r.received, r.accepted, r.duplicates, r.quarantined, r.held_for_consent)
                for r in uow.db.scalars(select(FeedImport).order_by(FeedImport.id))
            ],
        }


def _resolve(container: Container, number: str) -> str:
    from moralbank.residents import service as residents

    with container.uow(write=False) as uow:
        rid = residents.resolve_id_number(uow, id_number=number)
    assert rid is not None
    return rid


def test_reading_ahead_in_a_thread_gives_the_same_outcome(
    city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file, small batches: read ahead in a thread here, inline in a fresh reference database."""
    path = city.write(tmp_path / "v.csv", "volunteer_hours", 120, bad=12, people=city.id_numbers)
    ref = bootstrap(
        Settings(data_dir=city.container.settings.data_dir, database_url=f"sqlite:///{tmp_path / 'ref.db'}"),
        clock=city.container.clock,
        migrate=False,
    )
    create_schema(ref.engine)
    ref_city = build_city(ref)
    ref_city.resident_ids = [_resolve(ref, n) for n in city.id_numbers]
    monkeypatch.setattr(importer, "READ_AHEAD", False)
    inline = importer.import_file(ref, interface="volunteer_hours", path=path, batch_size=7)
    expected = _outcome(ref_city)
    ref.engine.dispose()

    monkeypatch.setattr(importer, "READ_AHEAD", True)
    threaded = importer.import_file(city.container, interface="volunteer_hours", path=path, batch_size=7)
    assert threaded.counts == inline.counts
    assert _outcome(city) == expected
    c = threaded.counts
    assert c.received == 120 == c.accepted + c.duplicates + c.quarantined + c.held_for_consent
    assert c.quarantined == 12 and c.held_for_consent > 0


def test_an_error_while_reading_reaches_the_caller(city: City, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("record_id,something_else\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        importer.import_file(city.container, interface="volunteer_hours", path=path)


def test_a_batch_validated_for_another_day_is_validated_again(city: City, tmp_path: Path) -> None:
    """A deed dated tomorrow is quarantined (``bad_date``) even if it was checked a day earlier."""
    tomorrow = city.today + timedelta(days=1)
    path = city.write(tmp_path / "b.csv", "blood_donation", 3)
    rows = list(domain.read_rows(path))
    iface = feeds.get_interface("blood_donation")
    rows = [domain.RawRow(r.row, r.line, {**r.values, iface.date_field: tomorrow.isoformat()}) for r in rows]
    yesterday = city.today - timedelta(days=1)
    checked = [domain.validate(iface, r, today=tomorrow) for r in rows]  # as if checked "tomorrow"
    assert all(isinstance(c, domain.Record) for c in checked)
    with city.container.uow() as uow:
        run = feeds.begin_import(
            uow, interface="blood_donation", transport="file", file_name="b.csv", file_sha256="x", actor="t"
        )
        counts = feeds.import_batch(uow, import_id=run.id, rows=rows, checked=checked, checked_on=yesterday)
        uow.commit()
    assert counts.quarantined == 3 and counts.accepted == 0
