"""The traffic log of online endpoints: one row per scored request, written in batches."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.schemas.endpoints import RequestLogEntry
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import EndpointRequestLogRow

_FIELDS = tuple(RequestLogEntry.model_fields)


def append_request_logs(
    session: Session, fields: Sequence[str], records: Sequence[Sequence[Any]]
) -> None:
    """Bulk insert from the serving runtime (a system writer, not a user call: no audit).

    ``records`` hold one value per name in ``fields`` (the table's columns), with ``at`` in
    seconds since the epoch. They reach the driver's executemany as tuples, converted only
    by the column types' own bind processors: a Core insert builds and processes a
    parameter dict per row, which cost twice as much, and this runs once for every request
    an endpoint answers."""
    if not records:
        return
    connection = session.connection()
    statement = _positional_insert(connection.dialect, tuple(fields))
    if statement is None:  # a driver with named parameters: the general path
        rows = [dict(zip(fields, record, strict=True)) for record in records]
        for row in rows:
            row["at"] = datetime.fromtimestamp(row["at"], UTC)
        connection.execute(insert(EndpointRequestLogRow), rows)
        return
    connection.exec_driver_sql(statement.sql, [statement.parameters(r) for r in records])


class _PositionalInsert:
    """An INSERT with positional placeholders, and the conversions each position needs."""

    def __init__(self, sql: str, converters: list[tuple[int, Callable[[Any], Any]]]) -> None:
        self.sql = sql
        self.converters = converters

    def parameters(self, record: Sequence[Any]) -> tuple[Any, ...]:
        values = list(record)
        for index, convert in self.converters:
            values[index] = convert(values[index])
        return tuple(values)


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@functools.lru_cache(maxsize=8)
def _positional_insert(dialect: Dialect, fields: tuple[str, ...]) -> _PositionalInsert | None:
    placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
    if placeholder is None:
        return None
    table = EndpointRequestLogRow.__table__
    quote = dialect.identifier_preparer.quote
    columns = [table.c[name] for name in fields]  # a KeyError names an unknown field
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if column.name == "at":
            converters.append((index, _from_epoch(process)))
        elif process is not None:
            converters.append((index, process))
    return _PositionalInsert(sql, converters)


def _from_epoch(process: Callable[[Any], Any] | None) -> Callable[[float], Any]:
    if process is None:
        return lambda seconds: datetime.fromtimestamp(seconds, UTC)
    return lambda seconds: process(datetime.fromtimestamp(seconds, UTC))


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
    ctx.authorize(Action.ONLINE_ENDPOINTS_REQUEST_LOGS_READ, workspace)
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
    query = query.order_by(EndpointRequestLogRow.id.desc()).limit(limit)
    return [
        RequestLogEntry(**{name: getattr(row, name) for name in _FIELDS})
        for row in ctx.session.scalars(query)
    ]
