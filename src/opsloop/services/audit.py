"""The audit log: listing it, and verifying its hash chain (``opsloop audit verify``).
Records are appended by the store (``store/audit.py``) in the transaction of each call,
and never changed."""

from __future__ import annotations

from sqlalchemy import false, or_, select

from opsloop.catalogue.actions import Action
from opsloop.schemas.audit import AuditFilter, AuditRecord, AuditVerification
from opsloop.security.audit_chain import CHAINED_FIELDS, GENESIS, record_hash
from opsloop.services.context import ServiceContext
from opsloop.services.visibility import readable_scopes
from opsloop.store.tables import AuditRow

_BATCH = 1000


def list_audit(ctx: ServiceContext, filters: AuditFilter) -> list[AuditRecord]:
    ctx.authorize(Action.AUDIT_READ, filters.workspace)
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(filters.limit)
    scopes = readable_scopes(ctx, Action.AUDIT_READ)
    if scopes is not None:  # the records at or under the caller's scopes only
        query = query.where(
            or_(
                false(),
                *(
                    or_(AuditRow.scope == s, AuditRow.scope.startswith(s + "/", autoescape=True))
                    for s in scopes
                ),
            )
        )
    for column, value in (
        (AuditRow.actor, filters.actor),
        (AuditRow.workspace, filters.workspace),
        (AuditRow.outcome, filters.outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    for column, prefix in ((AuditRow.action, filters.action), (AuditRow.target, filters.resource)):
        if prefix is not None:
            query = query.where(column.startswith(prefix, autoescape=True))
    if filters.since is not None:
        query = query.where(AuditRow.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditRow.at < filters.until)
    return [_record(row) for row in ctx.session.scalars(query)]


def verify_audit(ctx: ServiceContext) -> AuditVerification:
    """Recompute the chain from the first record: a record altered (its hash no longer
    matches its content), removed or moved (the next record's link names another hash)
    is found, and the first such record named."""
    ctx.authorize(Action.AUDIT_READ, None)
    previous, count, last_id = GENESIS, 0, 0
    while True:
        rows = ctx.session.scalars(
            select(AuditRow).where(AuditRow.id > last_id).order_by(AuditRow.id).limit(_BATCH)
        ).all()
        for row in rows:
            count += 1
            if row.prev_hash != previous:
                return _broken(count, row.id, "does not follow the record before it: a record "
                               "before it was removed, altered or moved")  # fmt: skip
            content = {name: getattr(row, name) for name in CHAINED_FIELDS}
            if row.hash != record_hash(previous, content):
                return _broken(count, row.id, "was altered: its content no longer matches its hash")
            previous = row.hash
        if len(rows) < _BATCH:
            break
        last_id = rows[-1].id
        ctx.session.expunge_all()  # a long log is read in batches, not held
    return AuditVerification(ok=True, records=count, head=None if count == 0 else previous)


def _broken(count: int, row_id: int, problem: str) -> AuditVerification:
    return AuditVerification(
        ok=False, records=count, broken_at=row_id, problem=f"record {row_id} {problem}"
    )


def _record(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=row.actor,
        principal_kind=row.principal_kind,
        action=row.action,
        workspace=row.workspace,
        resource=row.target,
        scope=row.scope,
        outcome=row.outcome,
        reason=row.reason,
        request_id=row.request_id,
        source=row.source,
        detail=row.detail,
        hash=row.hash,
    )
