"""Shared fixtures.

Tests that touch a database take the ``container`` (or ``engine``) fixture and run once per backend:
SQLite (a fresh file per test) and PostgreSQL (a fresh schema per test in the database at
``MORALBANK_TEST_PG_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). When that
server is not reachable the PostgreSQL runs are skipped, and the summary says so plainly.
``MORALBANK_TEST_BACKENDS=sqlite`` (or ``postgresql``) runs one backend only.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from moralbank.bootstrap import Container, bootstrap
from moralbank.config import Settings
from moralbank.db.engine import make_engine
from moralbank.db.models import Base
from moralbank.kernel.clock import CHINA, FixedClock

PG_URL = os.environ.get("MORALBANK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [
    b.strip() for b in os.environ.get("MORALBANK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# A Wednesday in an ordinary working week, 10:00 in Yuyao.
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)


@lru_cache(maxsize=1)
def pg_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        import psycopg

        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        problem = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if os.environ.get("MORALBANK_TEST_REQUIRE_PG"):
            raise RuntimeError(f"MORALBANK_TEST_REQUIRE_PG is set but {PG_URL} fails: {problem}") from e
        return problem


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    if "postgresql" not in BACKENDS:
        terminalreporter.write_line(
            "PostgreSQL tests NOT RUN (MORALBANK_TEST_BACKENDS excludes them).", yellow=True
        )
    elif pg_problem():
        terminalreporter.write_line(
            f"PostgreSQL tests SKIPPED: no server at {PG_URL} ({pg_problem()}). Only SQLite was tested.",
            red=True,
            bold=True,
        )
    else:
        terminalreporter.write_line(f"PostgreSQL tests ran against {PG_URL}.", green=True)


def create_schema(engine: Engine) -> None:
    """Every table from the models (fast), stamped as the newest migration so commands that migrate
    on start (the CLI) see a current schema. tests/integration/db proves the migrations build the
    same schema."""
    from alembic import command

    from moralbank.db.migrate import alembic_config

    Base.metadata.create_all(engine)
    command.stamp(alembic_config(engine), "head")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and pg_problem():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {pg_problem()}")
    return request.param


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (no tables) of the backend under test."""
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'moralbank.db'}")
        yield eng
        eng.dispose()
        return
    schema = f"mbtest_{os.getpid()}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    yield eng
    eng.dispose()
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a fresh database with every table (created from the models)."""
    create_schema(empty_engine)
    return empty_engine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def container(engine: Engine, settings: Settings, clock: FixedClock) -> Container:
    return bootstrap(settings, clock=clock, engine=engine, migrate=False, rng=random.Random(7))


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.fail(f"../shared not found at {SHARED}; the suite needs the Merkle test corpus there")
    return SHARED
