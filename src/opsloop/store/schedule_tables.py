"""Rows of schedules: one per schedule of a workspace, and one per tick it fired.

``next_fire_at`` is the tick the scheduler waits for (None: disabled, or no tick is left
before ``end_time``). A fire writes its ``ScheduleFireRow`` and moves ``next_fire_at`` in
the transaction that creates the job; ``(schedule_id, tick_at)`` is unique, so a tick can
be recorded once only, whatever happens to the scheduler's lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_schedules_due", "enabled", "next_fire_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)  # start_time filled in
    action_kind: Mapped[str] = mapped_column(String(32))  # "job" | "monitor"
    action: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the job / monitor body
    enabled: Mapped[bool] = mapped_column(default=True)
    next_fire_at: Mapped[datetime | None] = mapped_column()
    last_fired_at: Mapped[datetime | None] = mapped_column()
    # Whom the ticks act as: the creator's name, kind, principal id and token scope.
    run_as: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduleFireRow(Base):
    """One fired tick: what it created (``created``), or why it could not (``error``)."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "tick_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    tick_at: Mapped[datetime] = mapped_column()
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    missed_ticks: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
