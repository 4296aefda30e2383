"""Alembic environment: the engine comes from moralbank's bootstrap, never from an ini file."""

from __future__ import annotations

from alembic import context

from moralbank.db.models import Base  # every table, registered

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from moralbank.bootstrap import build_engine
        from moralbank.config import Settings

        engine = build_engine(Settings())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
