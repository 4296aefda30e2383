"""feed_push: a push claims its idempotency key before importing (import_id and response empty
while it is processed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("feed_push") as batch:
        batch.alter_column("import_id", existing_type=_ID, nullable=True)
        batch.alter_column("response", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM feed_push WHERE response IS NULL")
    with op.batch_alter_table("feed_push") as batch:
        batch.alter_column("import_id", existing_type=_ID, nullable=False)
        batch.alter_column("response", existing_type=sa.Text(), nullable=False)
