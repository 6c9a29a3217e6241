"""persona templates and just-in-time elevation: role eligibilities, elevation requests,
and the persona and elevation a role assignment came from

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _principal() -> sa.Column[str]:
    return sa.Column(
        "principal_id",
        sa.String(length=32),
        sa.ForeignKey("principals.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    with op.batch_alter_table("role_assignments") as table:
        table.add_column(sa.Column("elevation_id", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("persona", sa.String(length=64), nullable=True))
    op.create_table(
        "role_eligibilities",
        sa.Column("id", sa.String(length=32), primary_key=True),
        _principal(),
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=1024), nullable=False),
        sa.Column("persona", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.UniqueConstraint("principal_id", "role", "scope"),
    )
    op.create_table(
        "elevations",
        sa.Column("id", sa.String(length=32), primary_key=True),
        _principal(),
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=1024), nullable=False),
        sa.Column("workspace", sa.String(length=255), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ticket", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_elevations_status", "elevations", ["status"])


def downgrade() -> None:
    op.drop_table("elevations")
    op.drop_table("role_eligibilities")
    with op.batch_alter_table("role_assignments") as table:
        table.drop_column("persona")
        table.drop_column("elevation_id")
