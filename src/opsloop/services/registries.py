"""Registries: stores shared across workspaces. A registry's asset versions live in a space
of their own (a workspace row of kind ``registry``), made when the first asset is shared,
so they version and resolve as a workspace's do."""

from __future__ import annotations

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import RegistryCreated
from opsloop.catalogue.update_events import RegistryUpdated
from opsloop.errors import ConflictError, NotFoundError
from opsloop.schemas.entities import Registry
from opsloop.schemas.update_requests import RegistryUpdate
from opsloop.services.context import ServiceContext
from opsloop.services.field_updates import update_fields
from opsloop.services.workspaces import REGISTRY_KIND
from opsloop.specs.workspace import RegistrySpec
from opsloop.store.tables import RegistryRow, WorkspaceRow


def create_registry(ctx: ServiceContext, spec: RegistrySpec) -> Registry:
    ctx.begin_mutation(Action.REGISTRIES_WRITE, None, f"registry:{spec.name}")
    if ctx.session.scalar(select(RegistryRow).where(RegistryRow.name == spec.name)):
        raise ConflictError(f"registry {spec.name!r} already exists")
    row = RegistryRow(
        name=spec.name,
        description=spec.description,
        location=spec.location,
        tags=spec.tags,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.REGISTRIES_WRITE,
        workspace=None,
        target=f"registry:{spec.name}",
        event=RegistryCreated(),
    )
    return _to_entity(row)


def update_registry(ctx: ServiceContext, name: str, update: RegistryUpdate) -> Registry:
    ctx.begin_mutation(Action.REGISTRIES_WRITE, None, f"registry:{name}")
    row = require_registry_row(ctx, name)
    update_fields(
        ctx, row, update.changes(), Action.REGISTRIES_WRITE,
        workspace=None, target=f"registry:{name}", event=RegistryUpdated,
    )  # fmt: skip
    return _to_entity(row)


def get_registry(ctx: ServiceContext, name: str) -> Registry:
    ctx.authorize(Action.REGISTRIES_READ, None)
    return _to_entity(require_registry_row(ctx, name))


def list_registries(ctx: ServiceContext) -> list[Registry]:
    ctx.authorize(Action.REGISTRIES_READ, None)
    return [
        _to_entity(r) for r in ctx.session.scalars(select(RegistryRow).order_by(RegistryRow.name))
    ]


def require_registry_row(ctx: ServiceContext, name: str) -> RegistryRow:
    row = ctx.session.scalar(select(RegistryRow).where(RegistryRow.name == name))
    if row is None:
        raise NotFoundError(
            f"registry {name!r} not found; create it with `opsloop registry create --name {name}`"
        )
    return row


def registry_space(ctx: ServiceContext, name: str) -> WorkspaceRow | None:
    """The space holding registry ``name``'s assets; None while nothing has been shared."""
    registry = require_registry_row(ctx, name)
    return ctx.session.scalar(
        select(WorkspaceRow).where(
            WorkspaceRow.name == f"registry:{registry.name}", WorkspaceRow.kind == REGISTRY_KIND
        )
    )


def ensure_registry_space(ctx: ServiceContext, name: str) -> WorkspaceRow:
    """The space holding registry ``name``'s assets, made on the first share."""
    space = registry_space(ctx, name)
    if space is None:
        space = WorkspaceRow(
            name=f"registry:{name}", kind=REGISTRY_KIND, created_by=str(ctx.actor), tags={}
        )
        ctx.session.add(space)
        ctx.session.flush()
    return space


def _to_entity(row: RegistryRow) -> Registry:
    return Registry(
        name=row.name,
        description=row.description,
        location=row.location,
        tags=row.tags,
        created_at=row.created_at,
        created_by=row.created_by,
    )
