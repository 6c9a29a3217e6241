"""Datastores: named fsspec URLs, and ``azureml://datastores/<name>/paths/<p>`` resolution."""

from __future__ import annotations

import re

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import DatastoreCreated
from opsloop.catalogue.update_events import DatastoreUpdated
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.entities import Datastore
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.data import DatastoreSpec
from opsloop.store.tables import DatastoreRow, WorkspaceRow

_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<name>[^/]+)/paths/(?P<path>.*)$")


def create_datastore(ctx: ServiceContext, workspace: str, spec: DatastoreSpec) -> Datastore:
    ctx.begin_mutation(Action.DATASTORES_WRITE, workspace, f"datastore:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    if _find(ctx, ws.id, spec.name):
        raise ConflictError(f"datastore {spec.name!r} already exists in workspace {workspace!r}")
    row = DatastoreRow(
        workspace_id=ws.id,
        name=spec.name,
        url=spec.url,
        description=spec.description,
        tags=spec.tags,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.DATASTORES_WRITE,
        workspace=workspace,
        target=f"datastore:{spec.name}",
        event=DatastoreCreated(url=spec.url),
    )
    return _to_entity(row, workspace)


def update_datastore(
    ctx: ServiceContext, workspace: str, name: str, spec: DatastoreSpec
) -> Datastore:
    """Replace a datastore's URL, description and tags with ``spec``'s (``opsloop apply``).
    Data already registered through it keeps the URL it was resolved to; later references
    resolve to the new one. The workspace's default datastore keeps its URL: the platform
    writes there (collected data, bundles)."""
    ctx.begin_mutation(Action.DATASTORES_WRITE, workspace, f"datastore:{name}")
    ws = require_workspace_row(ctx, workspace)
    if spec.name != name:
        raise ValidationError(f"must be {name!r}: a datastore cannot be renamed", field="name")
    row = _find(ctx, ws.id, name)
    if row is None:
        raise NotFoundError(f"datastore {name!r} not found in workspace {workspace!r}")
    if row.is_default and spec.url != row.url:
        raise ValidationError(
            f"the default datastore's URL cannot change (it is {row.url!r}): the platform "
            "writes the workspace's files there",
            field="url",
        )
    row.url, row.description, row.tags = spec.url, spec.description, spec.tags
    ctx.session.flush()
    ctx.record(
        Action.DATASTORES_WRITE,
        workspace=workspace,
        target=f"datastore:{name}",
        event=DatastoreUpdated(url=spec.url),
    )
    return _to_entity(row, workspace)


def get_datastore(ctx: ServiceContext, workspace: str, name: str) -> Datastore:
    ctx.authorize(Action.DATASTORES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    row = _find(ctx, ws.id, name)
    if row is None:
        raise NotFoundError(f"datastore {name!r} not found in workspace {workspace!r}")
    return _to_entity(row, workspace)


def list_datastores(ctx: ServiceContext, workspace: str) -> list[Datastore]:
    ctx.authorize(Action.DATASTORES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(DatastoreRow).where(DatastoreRow.workspace_id == ws.id).order_by(DatastoreRow.name)
    )
    return [_to_entity(r, workspace) for r in rows]


def resolve_datastore_url(ctx: ServiceContext, ws: WorkspaceRow, value: str, field: str) -> str:
    """Turn ``azureml://datastores/<name>/paths/<p>`` into the fsspec URL behind it."""
    match = _DATASTORE_PATH.match(value)
    if not match:
        if value.startswith("azureml://"):
            raise ValidationError(
                f"unsupported azureml:// URL {value!r}; use azureml://datastores/<name>/paths/<path>",
                field=field,
            )
        return value
    row = _find(ctx, ws.id, match["name"])
    if row is None:
        raise ValidationError(
            f"datastore {match['name']!r} not found in workspace {ws.name!r}", field=field
        )
    return f"{row.url}/{match['path'].lstrip('/')}"


def _find(ctx: ServiceContext, workspace_id: str, name: str) -> DatastoreRow | None:
    return ctx.session.scalar(
        select(DatastoreRow).where(
            DatastoreRow.workspace_id == workspace_id, DatastoreRow.name == name
        )
    )


def _to_entity(row: DatastoreRow, workspace: str) -> Datastore:
    return Datastore(
        workspace=workspace,
        name=row.name,
        url=row.url,
        description=row.description,
        tags=row.tags,
        is_default=row.is_default,
        created_at=row.created_at,
        created_by=row.created_by,
    )
