"""The delivery log: one row per attempt at delivering an event to a subscriber."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, utcnow


class EventDeliveryAttemptRow(Base):
    """One try at delivering one event to one subscriber: the delivery log."""

    __tablename__ = "event_delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_subscriber", "subscriber", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[int] = mapped_column(Integer)  # the outbox row's id
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
