"""kill -9 at several points of an import, then run it again: the state is exactly that of one clean
import (records, quarantine, ledger entries, counts). A real subprocess, really killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, text

from moralbank.bootstrap import Container, bootstrap
from moralbank.config import Settings
from moralbank.feeds.importer import import_file
from moralbank.feeds.models import FeedImport, FeedQuarantine, FeedRecord
from moralbank.ledger import service as ledger

from ...conftest import PG_URL, create_schema
from ..feeds.conftest import City, build_city

SCRIPT = """
import json, sys
from pathlib import Path
from moralbank.bootstrap import bootstrap
from moralbank.feeds.importer import import_file
c = bootstrap(migrate=False)
r = import_file(c, interface=sys.argv[1], path=Path(sys.argv[2]))
print(json.dumps(r.as_dict()))
"""


def _db_url(container: Container) -> str:
    if container.engine.dialect.name == "sqlite":
        return container.engine.url.render_as_string(hide_password=False)
    with container.engine.connect() as conn:
        schema = conn.execute(text("show search_path")).scalar()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def _run(container: Container, path: Path, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "MORALBANK_DATABASE_URL": _db_url(container),
        "MORALBANK_DATA_DIR": str(container.settings.data_dir),
        "MORALBANK_FEEDS_BATCH": "10",
        **env_extra,
    }
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "volunteer_hours", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when_paused(proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "feeds: paused" in line:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()
            return
        if not line and proc.poll() is not None:
            raise AssertionError(
                f"importer ended before pausing: {proc.stdout.read() if proc.stdout else ''}"
            )
    proc.kill()
    raise AssertionError("importer never paused")


def _state(city: City) -> dict:
    index = {rid: i for i, rid in enumerate(city.resident_ids)}
    with city.container.uow(write=False) as uow:
        # (content hashes cover the pseudonymous resident id, which differs between the two databases)
        records = sorted(
            (
                r.source_record_id,
                index[r.resident_id],
                r.version,
                r.status,
                r.indicator,
                r.points,
                r.deed_date.isoformat(),
            )
            for r in uow.db.scalars(select(FeedRecord))
        )
        quarantine = sorted((q.row_no, q.reason, q.field) for q in uow.db.scalars(select(FeedQuarantine)))
        entries = sorted(
            (index[e.resident_id], e.indicator, e.points, e.deed_date.isoformat(), e.source)
            for rid in city.resident_ids
            for e in ledger.entries_of(uow, resident_id=rid)
        )
        runs = [
            (r.status, r.received, r.accepted, r.duplicates, r.quarantined, r.held_for_consent)
            for r in uow.db.scalars(select(FeedImport))
        ]
        size = ledger.tree_size(uow)
    return {"records": records, "quarantine": quarantine, "entries": entries, "imports": runs, "tree": size}


def test_kill_minus_9_at_several_points_then_rerun_equals_one_clean_import(
    city: City, tmp_path: Path
) -> None:
    people = city.id_numbers  # includes residents 8 (no consent here) and 9 (none at all): held rows
    path = city.write(tmp_path / "volunteer.csv", "volunteer_hours", 120, bad=12, people=people)

    # the reference: one clean import into a fresh database sharing the keys (same keyed hashes)
    ref_settings = Settings(
        data_dir=city.container.settings.data_dir, database_url=f"sqlite:///{tmp_path / 'reference.db'}"
    )
    ref = bootstrap(ref_settings, clock=city.container.clock, migrate=False)
    create_schema(ref.engine)
    ref_city = build_city(ref)
    ref_city.resident_ids = [_resolve(ref, n) for n in city.id_numbers]
    import_file(ref, interface="volunteer_hours", path=path, batch_size=10)
    expected = _state(ref_city)
    ref.engine.dispose()

    for hook in (
        {"MORALBANK_FEEDS_PAUSE_AFTER_BATCH": "1"},  # killed between batches
        {"MORALBANK_FEEDS_PAUSE_IN_BATCH": "3"},  # killed inside a batch, before its commit
        {"MORALBANK_FEEDS_PAUSE_IN_BATCH": "1"},  # killed in the first batch of a resumed run
        {"MORALBANK_FEEDS_PAUSE_AFTER_BATCH": "4"},
    ):
        _kill_when_paused(_run(city.container, path, hook))
    final = _run(city.container, path, {})
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    counts = json.loads(out)
    assert counts["received"] == 120
    assert (
        counts["received"]
        == counts["accepted"] + counts["duplicates"] + counts["quarantined"] + counts["held_for_consent"]
    )
    assert counts["held_for_consent"] > 0 and counts["quarantined"] >= 10
    assert _state(city) == expected


def _resolve(container: Container, number: str) -> str:
    from moralbank.residents import service as residents

    with container.uow(write=False) as uow:
        rid = residents.resolve_id_number(uow, id_number=number)
    assert rid
    return rid
