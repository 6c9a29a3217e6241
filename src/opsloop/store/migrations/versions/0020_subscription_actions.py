"""subscription actions: subject filter, one action, a signing secret; the delivery log;
labeling tasks

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.Text(), nullable=True))
        # Empty on the first subscriptions: they are webhooks to webhook_url, unsigned.
        batch_op.add_column(sa.Column("action", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("secret", sa.Text(), nullable=True))
        batch_op.alter_column("webhook_url", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effect", sa.Text(), nullable=True))
    # "failed" (given up on after every retry) is now called a dead letter.
    op.execute("UPDATE event_deliveries SET status = 'dead_letter' WHERE status = 'failed'")
    # Subscriptions are no longer all webhooks: their subscriber names (cursors, keys)
    # change prefix, keeping their progress.
    for table, column in (
        ("event_cursors", "subscriber"),
        ("event_deliveries", "subscriber"),
        ("event_deliveries", "idempotency_key"),
    ):
        op.execute(
            f"UPDATE {table} SET {column} = 'subscription:' || substr({column}, 9) "
            f"WHERE {column} LIKE 'webhook:%'"
        )
    op.create_table(
        "event_delivery_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subscriber", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("event_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_attempts_subscriber", ["subscriber", "event_id"])

    op.create_table(
        "labeling_tasks",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.String(length=32),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "labeling_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "task_id",
            sa.String(length=32),
            sa.ForeignKey("labeling_tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("subscription", sa.String(length=255), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("labeling_items", schema=None) as batch_op:
        batch_op.create_index("ix_labeling_items_task", ["task_id", "id"])


def downgrade() -> None:
    op.drop_table("labeling_items")
    op.drop_table("labeling_tasks")
    op.drop_table("event_delivery_attempts")
    op.execute("UPDATE event_deliveries SET status = 'failed' WHERE status = 'dead_letter'")
    for table, column in (
        ("event_cursors", "subscriber"),
        ("event_deliveries", "subscriber"),
        ("event_deliveries", "idempotency_key"),
    ):
        op.execute(
            f"UPDATE {table} SET {column} = 'webhook:' || substr({column}, 14) "
            f"WHERE {column} LIKE 'subscription:%'"
        )
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.drop_column("effect")
    with op.batch_alter_table("event_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("secret")
        batch_op.drop_column("action")
        batch_op.drop_column("subject")
