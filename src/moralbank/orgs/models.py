"""Organisation tables: the unit tree (materialised path) and its history of changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class OrgUnit(Base):
    """One unit: the city, a township/street, a village/community or a grid."""

    __tablename__ = "org_unit"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))
    # Materialised path, e.g. /330281/330281001/330281001001/ — a prefix match selects a subtree.
    path: Mapped[str] = mapped_column(String(400), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("level IN ('city', 'township', 'village', 'grid')", name="level"),
        Index("ix_org_unit_parent_code", "parent_code"),
    )


class OrgUnitEvent(Base):
    """What happened to a unit: create, rename, move, close — with old and new values, who and when."""

    __tablename__ = "org_unit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    old_value: Mapped[str | None] = mapped_column(String(400))
    new_value: Mapped[str | None] = mapped_column(String(400))
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_org_unit_event_code_at", "code", "at"),)
