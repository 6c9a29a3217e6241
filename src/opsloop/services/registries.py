"""Registries: stores shared across workspaces (sharing models into them comes later)."""

from __future__ import annotations

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import RegistryCreated
from opsloop.errors import ConflictError, NotFoundError
from opsloop.schemas.entities import Registry
from opsloop.services.context import ServiceContext
from opsloop.specs.workspace import RegistrySpec
from opsloop.store.tables import RegistryRow


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


def get_registry(ctx: ServiceContext, name: str) -> Registry:
    ctx.authorize(Action.REGISTRIES_READ, None)
    row = ctx.session.scalar(select(RegistryRow).where(RegistryRow.name == name))
    if row is None:
        raise NotFoundError(f"registry {name!r} not found")
    return _to_entity(row)


def list_registries(ctx: ServiceContext) -> list[Registry]:
    ctx.authorize(Action.REGISTRIES_READ, None)
    return [
        _to_entity(r) for r in ctx.session.scalars(select(RegistryRow).order_by(RegistryRow.name))
    ]


def _to_entity(row: RegistryRow) -> Registry:
    return Registry(
        name=row.name,
        description=row.description,
        location=row.location,
        tags=row.tags,
        created_at=row.created_at,
        created_by=row.created_by,
    )
