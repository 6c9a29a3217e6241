"""monitors: monitors, their runs, and each run's results per signal, feature and metric

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _ref(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("workspace_id", sa.String(length=32), _ref("workspaces"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=255), nullable=False),
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("monitor_id", sa.String(length=32), _ref("monitors"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("report_url", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
    )
    op.create_index("ix_monitor_runs_monitor", "monitor_runs", ["monitor_id", "window_end"])
    op.create_table(
        "monitor_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(length=32), _ref("monitor_runs"), nullable=False),
        sa.Column("monitor_id", sa.String(length=32), _ref("monitors"), nullable=False),
        sa.Column("signal", sa.String(length=128), nullable=False),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.String(length=255), nullable=False),
        sa.Column("metric", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_monitor_results_run", "monitor_results", ["run_id"])
    op.create_index(
        "ix_monitor_results_series",
        "monitor_results",
        ["monitor_id", "signal", "metric", "feature"],
    )


def downgrade() -> None:
    op.drop_table("monitor_results")
    op.drop_table("monitor_runs")
    op.drop_table("monitors")
