"""Rows of monitors: a monitor's spec, its runs, and each run's results per signal,
feature and metric (the time series ``monitor show`` and the report plot)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class MonitorRow(Base):
    __tablename__ = "monitors"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(255))
    deployment: Mapped[str] = mapped_column(String(255))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class MonitorRunRow(Base):
    """One run: the production window it read and what it found."""

    __tablename__ = "monitor_runs"
    __table_args__ = (Index("ix_monitor_runs_monitor", "monitor_id", "window_end"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    window_end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(32))  # Completed | Failed
    breached: Mapped[bool] = mapped_column(default=False)
    report_url: Mapped[str | None] = mapped_column(Text)
    # Per signal: its window, rows read, reference used, and why it was skipped if it was.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class MonitorResultRow(Base):
    """One metric of one feature of one signal in one run."""

    __tablename__ = "monitor_results"
    __table_args__ = (
        Index("ix_monitor_results_run", "run_id"),
        Index("ix_monitor_results_series", "monitor_id", "signal", "metric", "feature"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("monitor_runs.id", ondelete="CASCADE"))
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(128))
    signal_type: Mapped[str] = mapped_column(String(64))
    feature: Mapped[str] = mapped_column(String(255))
    metric: Mapped[str] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    breached: Mapped[bool] = mapped_column(default=False)
    p_value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
