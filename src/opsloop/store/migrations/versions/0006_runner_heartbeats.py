"""runner heartbeats: the runner's host and last heartbeat, each step's process group

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("step_pgid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("step_host", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_jobs_liveness", ["status", "heartbeat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_liveness")
        batch_op.drop_column("step_host")
        batch_op.drop_column("step_pgid")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("runner_host")
