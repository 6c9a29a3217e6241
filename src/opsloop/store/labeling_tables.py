"""Rows of labeling tasks: a task per (workspace, name), and the items events put in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class LabelingTaskRow(Base):
    __tablename__ = "labeling_tasks"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LabelingItemRow(Base):
    """One item to label (a row, a text, an image's URI), with the event that brought it."""

    __tablename__ = "labeling_items"
    __table_args__ = (Index("ix_labeling_items_task", "task_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("labeling_tasks.id", ondelete="CASCADE"))
    item: Mapped[dict[str, Any]] = mapped_column()
    event: Mapped[str | None] = mapped_column(String(32))  # the CloudEvent id
    subscription: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
