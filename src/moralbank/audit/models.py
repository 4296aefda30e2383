"""The access log: one row per read of a resident's personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class AccessLog(Base):
    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)  # user:3, token:2, resident:R…
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)
    what: Mapped[str] = mapped_column(String(200), nullable=False)  # e.g. "resident.profile"
    why: Mapped[str] = mapped_column(String(200), nullable=False)  # the purpose stated
    route: Mapped[str | None] = mapped_column(String(200))  # the request path or CLI command

    __table_args__ = (
        Index("ix_access_log_resident_id_at", "resident_id", "at"),
        Index("ix_access_log_actor_at", "actor", "at"),
        Index("ix_access_log_at", "at"),
    )
