"""Workspaces: isolated environments, each preproduction or production."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import WorkspaceCreated, WorkspaceDeleted
from opsloop.catalogue.update_events import WorkspaceUpdated
from opsloop.errors import ConflictError, NotFoundError
from opsloop.schemas.entities import Workspace
from opsloop.schemas.update_requests import WorkspaceUpdate
from opsloop.services.context import ServiceContext
from opsloop.services.field_updates import update_fields
from opsloop.specs import data as data_specs
from opsloop.specs.workspace import WorkspaceSpec
from opsloop.store.tables import DatastoreRow, WorkspaceRow

DEFAULT_DATASTORE = data_specs.DEFAULT_DATASTORE


def create_workspace(ctx: ServiceContext, spec: WorkspaceSpec) -> Workspace:
    ctx.begin_mutation(Action.WORKSPACES_WRITE, spec.name, f"workspace:{spec.name}")
    if _find(ctx, spec.name) is not None:
        raise ConflictError(f"workspace {spec.name!r} already exists")
    row = WorkspaceRow(
        name=spec.name,
        kind=spec.kind,
        display_name=spec.display_name,
        description=spec.description,
        tags=spec.tags,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    try:
        ctx.session.flush()
    except IntegrityError:
        raise ConflictError(f"workspace {spec.name!r} already exists") from None
    # Every workspace gets a default datastore inside the artifact store, as Azure ML does.
    ctx.session.add(
        DatastoreRow(
            workspace_id=row.id,
            name=DEFAULT_DATASTORE,
            url=ctx.artifacts.url_for(f"workspaces/{spec.name}"),
            description="Default datastore of the workspace",
            is_default=True,
            created_by=str(ctx.actor),
        )
    )
    ctx.record(
        Action.WORKSPACES_WRITE,
        workspace=spec.name,
        target=f"workspace:{spec.name}",
        event=WorkspaceCreated(kind=spec.kind),
    )
    return to_entity(row)


def get_workspace(ctx: ServiceContext, name: str) -> Workspace:
    ctx.authorize(Action.WORKSPACES_READ, name)
    return to_entity(require_workspace_row(ctx, name))


def list_workspaces(ctx: ServiceContext) -> list[Workspace]:
    from opsloop.services.visibility import readable_workspaces  # it builds on workspaces

    ctx.authorize(Action.WORKSPACES_READ, None)
    query = select(WorkspaceRow).where(WorkspaceRow.kind != REGISTRY_KIND)
    visible = readable_workspaces(ctx, Action.WORKSPACES_READ, whole=False)
    if visible is not None:
        query = query.where(WorkspaceRow.name.in_(visible))
    return [to_entity(row) for row in ctx.session.scalars(query.order_by(WorkspaceRow.name))]


def update_workspace(ctx: ServiceContext, name: str, update: WorkspaceUpdate) -> Workspace:
    """Change the fields ``update`` gives. A workspace's kind never changes in place: the
    persona roles already assigned in it were chosen for its kind."""
    ctx.begin_mutation(Action.WORKSPACES_WRITE, name, f"workspace:{name}")
    row = require_workspace_row(ctx, name)
    update_fields(
        ctx, row, update.changes(), Action.WORKSPACES_WRITE,
        workspace=name, target=f"workspace:{name}", event=WorkspaceUpdated,
    )  # fmt: skip
    return to_entity(row)


def delete_workspace(ctx: ServiceContext, name: str) -> None:
    ctx.begin_mutation(Action.WORKSPACES_DELETE, name, f"workspace:{name}")
    row = require_workspace_row(ctx, name)
    ctx.session.delete(row)
    ctx.record(
        Action.WORKSPACES_DELETE,
        workspace=name,
        target=f"workspace:{name}",
        event=WorkspaceDeleted(),
    )


# The kind of the rows that hold registries' assets (see WorkspaceRow): never a workspace.
REGISTRY_KIND = "registry"


def require_workspace_row(ctx: ServiceContext, name: str) -> WorkspaceRow:
    row = _find(ctx, name)
    if row is None:
        raise NotFoundError(
            f"workspace {name!r} not found; create it with `opsloop workspace create --name {name}`"
        )
    return row


def _find(ctx: ServiceContext, name: str) -> WorkspaceRow | None:
    return ctx.session.scalar(
        select(WorkspaceRow).where(WorkspaceRow.name == name, WorkspaceRow.kind != REGISTRY_KIND)
    )


def to_entity(row: WorkspaceRow) -> Workspace:
    return Workspace(
        name=row.name,
        kind=row.kind,
        display_name=row.display_name,
        description=row.description,
        tags=row.tags,
        created_at=row.created_at,
        created_by=row.created_by,
    )
