"""Printable green cards: each has an id in its code so it can be revoked (the signed revocation list)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class GreenCard(Base):
    __tablename__ = "green_card"

    card_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(32))
    kid: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        Index("ix_green_card_resident_id", "resident_id"),
        Index("ix_green_card_revoked_at", "revoked_at"),
    )
