"""Appending to the audit log: the one writer of ``audit_log`` rows, which chains each to
the one before (``security/audit_chain.py``).

Appends are serialised so the chain has one order: SQLite's write transactions are
already (BEGIN IMMEDIATE); on PostgreSQL the append takes a transaction-scoped advisory
lock, held until the call commits, before it reads the chain's head.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from opsloop.security.actor import Actor
from opsloop.security.audit_chain import GENESIS, record_hash
from opsloop.store.tables import AuditRow

_AUDIT_LOCK = 0x6F7061756474  # "opaudt": PostgreSQL advisory lock of the chain's head


def append_audit(
    session: Session,
    actor: Actor,
    *,
    action: str,
    workspace: str | None,
    target: str | None,
    scope: str | None,
    outcome: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRow:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    # Autoflush writes this transaction's earlier records first: the head is the newest.
    head = session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
    previous = head or GENESIS
    record: dict[str, Any] = {
        "at": at or datetime.now(UTC),
        "actor": str(actor),
        "principal_kind": actor.principal_kind,
        "action": action,
        "workspace": workspace,
        "target": target,
        "scope": scope,
        "outcome": outcome,
        "reason": reason,
        "request_id": actor.request_id,
        "source": actor.source,
        "detail": detail or {},
    }
    row = AuditRow(**record, prev_hash=previous, hash=record_hash(previous, record))
    session.add(row)
    session.flush()
    return row
