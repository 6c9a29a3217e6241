"""deployment runtime: what inference_runtime chose (onnx, sklearn, pyfunc, script) and why

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Deployments provisioned before keep NULL: their spec says native or onnx, and the
    # runtime reloads them as before.
    with op.batch_alter_table("endpoint_deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runtime", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("runtime_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoint_deployments", schema=None) as batch_op:
        batch_op.drop_column("runtime_reason")
        batch_op.drop_column("runtime")
