"""evaluation indexes for Yuyao-scale imports

Every department record that goes into the evaluation path inserts an item and an event, each into
every index of its table. Keyed by resident, those inserts land at random places, and at millions of
items each one dirties a page of its own, so an index keyed by resident is paid for by every record:

- ``evaluation_item``: the two resident indexes become one, ``(resident_id, indicator, deed_date,
  state, points)``, which also covers the caps check of an import batch (no table row is read).
- ``evaluation_event``: ``(resident_id, at)`` served no query and goes; the trail of an objection,
  which was read by a full scan, gets a partial index on ``objection_id``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OBJECTION = sa.text("objection_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_evaluation_item_resident_id_created_at", table_name="evaluation_item")
    op.drop_index("ix_evaluation_item_resident_id_indicator_deed_date", table_name="evaluation_item")
    op.create_index(
        "ix_evaluation_item_resident_caps",
        "evaluation_item",
        ["resident_id", "indicator", "deed_date", "state", "points"],
    )
    op.drop_index("ix_evaluation_event_resident_id_at", table_name="evaluation_event")
    op.create_index(
        "ix_evaluation_event_objection_id",
        "evaluation_event",
        ["objection_id"],
        sqlite_where=_OBJECTION,
        postgresql_where=_OBJECTION,
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_event_objection_id", table_name="evaluation_event")
    op.create_index("ix_evaluation_event_resident_id_at", "evaluation_event", ["resident_id", "at"])
    op.drop_index("ix_evaluation_item_resident_caps", table_name="evaluation_item")
    op.create_index(
        "ix_evaluation_item_resident_id_indicator_deed_date",
        "evaluation_item",
        ["resident_id", "indicator", "deed_date"],
    )
    op.create_index(
        "ix_evaluation_item_resident_id_created_at", "evaluation_item", ["resident_id", "created_at"]
    )
