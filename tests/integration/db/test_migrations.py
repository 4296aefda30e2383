"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from moralbank.db.migrate import current_revision, ensure_current, head_revision, upgrade
from moralbank.db.models import Base
from moralbank.ledger import models as ledger_models
from moralbank.residents import models as residents_models


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == [], f"models and migrations differ: {diffs}"
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_ensure_current_is_idempotent(empty_engine: Engine) -> None:
    ensure_current(empty_engine)
    ensure_current(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)


def _trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        return {r[0] for r in rows}


def test_migration_installs_every_append_only_trigger_the_models_declare(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    if empty_engine.dialect.name == "sqlite":
        declared = ledger_models.SQLITE_TRIGGERS + residents_models.CONSENT_APPEND_ONLY_SQLITE
    else:
        declared = ledger_models.POSTGRESQL_TRIGGERS + residents_models.CONSENT_APPEND_ONLY_POSTGRESQL
    expected = {m.group(1) for sql in declared if (m := re.match(r"CREATE TRIGGER (\w+)", sql))}
    assert expected and expected <= _trigger_names(empty_engine)


def test_downgrade_removes_everything(empty_engine: Engine) -> None:
    from alembic import command

    from moralbank.db.migrate import alembic_config

    upgrade(empty_engine)
    command.downgrade(alembic_config(empty_engine), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
