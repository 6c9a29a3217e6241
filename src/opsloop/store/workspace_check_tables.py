"""Rows of a workspace's cost and staleness checks: its settings (budget, rates, how many
idle days make it stale) and the alerts already raised.

An alert is raised once: ``(workspace_id, kind, period, threshold)`` is unique, so a check
that runs twice (or on two workers) inserts the row once and emits its event once. For a
budget the period is the month (``2026-12``) and the threshold the percentage; for
staleness the period is the moment of the last activity (a new activity starts a new
period) and the threshold 0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class WorkspaceSettingsRow(Base):
    __tablename__ = "workspace_settings"
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # {"monthly": 500.0, "currency": "USD", "thresholds": [50, 80, 100], "rates": {...}}
    budget: Mapped[dict[str, Any] | None] = mapped_column()
    stale_after_days: Mapped[int | None] = mapped_column(Integer)  # None: the default
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))


class WorkspaceAlertRow(Base):
    __tablename__ = "workspace_alerts"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "period", "threshold"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # budget | stale
    period: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)
