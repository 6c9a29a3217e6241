"""request log retention: an index on the traffic log's time, for deletes by age

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("endpoint_request_logs", schema=None) as batch_op:
        batch_op.create_index("ix_request_logs_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("endpoint_request_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_request_logs_at")
