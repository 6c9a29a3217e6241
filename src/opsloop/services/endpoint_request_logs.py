"""The traffic log of online endpoints: one row per scored request, written in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from opsloop.schemas.endpoints import RequestLogEntry
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import EndpointRequestLogRow

_FIELDS = tuple(RequestLogEntry.model_fields)


def append_request_logs(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Bulk insert from the serving runtime (a system writer, not a user call: no audit).

    A Core insert on the session's connection: one executemany, none of the ORM's per-row
    bookkeeping, which matters at thousands of requests a second."""
    if records:
        session.connection().execute(insert(EndpointRequestLogRow), list(records))


def prune_request_logs(session: Session, older_than: datetime) -> int:
    """Delete the rows logged before ``older_than`` (retention; a system writer: no audit)."""
    result = session.connection().execute(
        delete(EndpointRequestLogRow).where(EndpointRequestLogRow.at < older_than)
    )
    return int(result.rowcount or 0)


def list_request_logs(
    ctx: ServiceContext,
    workspace: str,
    endpoint: str,
    *,
    deployment: str | None = None,
    status_code: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[RequestLogEntry]:
    """Newest first."""
    ctx.authorize("online_endpoint.read", workspace)
    ws = require_workspace_row(ctx, workspace)
    require_endpoint_row(ctx, ws, endpoint)
    query = select(EndpointRequestLogRow).where(
        EndpointRequestLogRow.workspace == workspace, EndpointRequestLogRow.endpoint == endpoint
    )
    if deployment is not None:
        query = query.where(EndpointRequestLogRow.deployment == deployment)
    if status_code is not None:
        query = query.where(EndpointRequestLogRow.status_code == status_code)
    if since is not None:
        query = query.where(EndpointRequestLogRow.at >= since)
    query = query.order_by(EndpointRequestLogRow.id.desc()).limit(max(1, min(limit, 10_000)))
    return [
        RequestLogEntry(**{name: getattr(row, name) for name in _FIELDS})
        for row in ctx.session.scalars(query)
    ]
