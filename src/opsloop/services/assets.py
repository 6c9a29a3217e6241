"""Versioning shared by every asset kind: data, environment, component and model.

Versions auto-increment per name ("1", "2", ...); an explicit version string is kept as
given. ``name@latest`` is the highest numbered version, then the newest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from sqlalchemy import func, select

from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.services.context import ServiceContext
from opsloop.specs.references import AssetReference, parse_reference
from opsloop.store.tables import AssetVersionRow, WorkspaceRow

AssetKind = Literal["data", "environment", "component", "model"]


@contextmanager
def reading_source(path: str, *, field: str = "path") -> Iterator[None]:
    """Reading the files a spec points at: a path that is missing or cannot be read is the
    caller's error (a 422 naming the field), not the server's."""
    try:
        yield
    except FileNotFoundError:
        raise ValidationError(f"{path!r} does not exist", field=field) from None
    except OSError as exc:
        raise ValidationError(
            f"{path!r} cannot be read: {exc.strerror or exc}", field=field
        ) from None


def lock_workspace(ctx: ServiceContext, ws: WorkspaceRow) -> None:
    """Serialise version allocation per workspace (SQLite already serialises writers)."""
    if not ctx.platform.database.is_sqlite:
        ctx.session.execute(
            select(WorkspaceRow.id).where(WorkspaceRow.id == ws.id).with_for_update()
        )


def add_version(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    name: str,
    version: str | None,
    **fields: Any,
) -> AssetVersionRow:
    lock_workspace(ctx, ws)
    if version is None:
        number = _highest_number(ctx, ws, kind, name) + 1
        version = str(number)
    else:
        number = int(version) if version.isdigit() else 0
    if _find(ctx, ws, kind, name, version) is not None:
        raise ConflictError(
            f"{kind} {name}:{version} already exists in workspace {ws.name!r}; "
            "versions are immutable, omit version to get the next one"
        )
    row = AssetVersionRow(
        workspace_id=ws.id,
        asset_kind=kind,
        name=name,
        version=version,
        version_number=number,
        created_by=str(ctx.actor),
        **fields,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def resolve(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    kind: AssetKind,
    reference: str | AssetReference,
    *,
    field: str | None = None,
) -> AssetVersionRow:
    """Find the version a reference names; an unknown one is named in the error."""
    ref = (
        parse_reference(reference, field=field or kind) if isinstance(reference, str) else reference
    )
    row = (
        _find(ctx, ws, kind, ref.name, ref.version)
        if ref.version
        else _latest(ctx, ws, kind, ref.name)
    )
    if row is None:
        message = f"{kind} {ref} not found in workspace {ws.name!r}"
        if field:
            raise ValidationError(message, field=field)
        raise NotFoundError(message)
    return row


def list_versions(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str | None
) -> list[AssetVersionRow]:
    """All versions of ``name``, newest first; without a name, the latest of each."""
    query = select(AssetVersionRow).where(
        AssetVersionRow.workspace_id == ws.id, AssetVersionRow.asset_kind == kind
    )
    if name is not None:
        rows = ctx.session.scalars(query.where(AssetVersionRow.name == name))
        return sorted(rows, key=_sort_key, reverse=True)
    latest: dict[str, AssetVersionRow] = {}
    for row in ctx.session.scalars(query):
        current = latest.get(row.name)
        if current is None or _sort_key(row) > _sort_key(current):
            latest[row.name] = row
    return [latest[n] for n in sorted(latest)]


def _sort_key(row: AssetVersionRow) -> tuple[int, Any]:
    return (row.version_number, row.created_at)


def _highest_number(ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str) -> int:
    value = ctx.session.scalar(
        select(func.max(AssetVersionRow.version_number)).where(
            AssetVersionRow.workspace_id == ws.id,
            AssetVersionRow.asset_kind == kind,
            AssetVersionRow.name == name,
        )
    )
    return int(value or 0)


def _find(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str, version: str
) -> AssetVersionRow | None:
    return ctx.session.scalar(
        select(AssetVersionRow).where(
            AssetVersionRow.workspace_id == ws.id,
            AssetVersionRow.asset_kind == kind,
            AssetVersionRow.name == name,
            AssetVersionRow.version == version,
        )
    )


def _latest(
    ctx: ServiceContext, ws: WorkspaceRow, kind: AssetKind, name: str
) -> AssetVersionRow | None:
    versions = list_versions(ctx, ws, kind, name)
    return versions[0] if versions else None


def common_fields(row: AssetVersionRow, workspace: str) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "name": row.name,
        "version": row.version,
        "description": row.description,
        "tags": row.tags,
        "content_hash": row.content_hash,
        "created_at": row.created_at,
        "created_by": row.created_by,
    }
