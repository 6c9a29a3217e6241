"""shadow comparison: a mirrored request's row keeps the live and the shadow answers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("endpoint_request_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comparison", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoint_request_logs", schema=None) as batch_op:
        batch_op.drop_column("comparison")
