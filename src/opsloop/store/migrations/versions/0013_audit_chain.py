"""audit chain: the audit log records principal kind, scope, reason, request id and source
address, and each record's hash chains it to the one before (existing records are chained
here, in id order)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from opsloop.security.audit_chain import GENESIS, record_hash
from opsloop.store.tables import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_NEW = (
    ("principal_kind", sa.String(length=32)),
    ("scope", sa.String(length=1024)),
    ("reason", sa.Text()),
    ("request_id", sa.String(length=64)),
    ("source", sa.String(length=255)),
    ("prev_hash", sa.String(length=64)),
    ("hash", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        for name, kind in _NEW:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_index("ix_audit_actor", "audit_log", ["actor"])
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("workspace", sa.String()),
        sa.column("target", sa.Text()),
        sa.column("outcome", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    connection = op.get_bind()
    previous = GENESIS
    rows = connection.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    for row in rows:
        record = {**row, "principal_kind": None, "scope": None, "reason": None}
        record.update(request_id=None, source=None)
        digest = record_hash(previous, record)
        connection.execute(
            audit.update().where(audit.c.id == row["id"]).values(prev_hash=previous, hash=digest)
        )
        previous = digest


def downgrade() -> None:
    op.drop_index("ix_audit_actor", "audit_log")
    op.drop_index("ix_audit_at", "audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for name, _ in reversed(_NEW):
            batch.drop_column(name)
