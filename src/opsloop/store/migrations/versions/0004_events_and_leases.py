"""events and leases: the outbox gets a stable event id and its actor; leases, event
subscriptions, per-subscriber cursors and deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("actor", sa.String(length=255), nullable=True))
    outbox = sa.table(
        "event_outbox",
        sa.column("id", sa.Integer),
        sa.column("event_id", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("actor", sa.String),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(outbox.c.id, outbox.c.payload)).all():
        payload = dict(row.payload or {})
        actor = payload.pop("actor", None)
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(event_id=uuid.uuid4().hex, actor=actor, payload=payload)
        )
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_event_outbox_event_id", ["event_id"])
        batch_op.drop_index("ix_outbox_undelivered")
        batch_op.drop_column("delivered_at")
        batch_op.create_index("ix_outbox_at", ["at"], unique=False)
        batch_op.create_index("ix_outbox_type", ["type", "id"], unique=False)
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=128), primary_key=True),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "event_subscriptions",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False, unique=True),
        sa.Column("workspace", sa.String(length=255), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
    )
    op.create_table(
        "event_cursors",
        sa.Column("subscriber", sa.String(length=255), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subscriber", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=320), nullable=False, unique=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subscriber", "event_id"),
    )


def downgrade() -> None:
    op.drop_table("event_deliveries")
    op.drop_table("event_cursors")
    op.drop_table("event_subscriptions")
    op.drop_table("leases")
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_type")
        batch_op.drop_index("ix_outbox_at")
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_undelivered", ["delivered_at", "id"], unique=False)
        batch_op.drop_constraint("uq_event_outbox_event_id", type_="unique")
        batch_op.drop_column("actor")
        batch_op.drop_column("event_id")
