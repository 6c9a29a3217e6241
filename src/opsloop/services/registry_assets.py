"""Reading a registry's environments and components (its models: ``models``)."""

from __future__ import annotations

from opsloop.catalogue.actions import Action
from opsloop.schemas.entities import Component, Environment
from opsloop.services import assets, components, environments
from opsloop.services.context import ServiceContext
from opsloop.services.registries import registry_space
from opsloop.specs.references import RegistryReference, parse_reference
from opsloop.store.tables import AssetVersionRow


def get_environment(ctx: ServiceContext, registry: str, reference: str) -> Environment:
    ctx.authorize(Action.REGISTRIES_READ, None)
    row = _resolve(ctx, registry, "environment", reference)
    return environments.to_entity(row, None, registry=registry)


def list_environments(
    ctx: ServiceContext, registry: str, name: str | None = None
) -> list[Environment]:
    ctx.authorize(Action.REGISTRIES_READ, None)
    return [
        environments.to_entity(row, None, registry=registry)
        for row in _list(ctx, registry, "environment", name)
    ]


def get_component(ctx: ServiceContext, registry: str, reference: str) -> Component:
    ctx.authorize(Action.REGISTRIES_READ, None)
    row = _resolve(ctx, registry, "component", reference)
    return components.to_entity(row, None, registry=registry)


def list_components(ctx: ServiceContext, registry: str, name: str | None = None) -> list[Component]:
    ctx.authorize(Action.REGISTRIES_READ, None)
    return [
        components.to_entity(row, None, registry=registry)
        for row in _list(ctx, registry, "component", name)
    ]


def _resolve(
    ctx: ServiceContext, registry: str, kind: assets.AssetKind, reference: str
) -> AssetVersionRow:
    ref = parse_reference(reference, field="reference")
    return assets.resolve_in_registry(
        ctx, RegistryReference(registry, kind, ref.name, ref.version, ref.alias)
    )


def _list(
    ctx: ServiceContext, registry: str, kind: assets.AssetKind, name: str | None
) -> list[AssetVersionRow]:
    space = registry_space(ctx, registry)
    return assets.list_versions(ctx, space, kind, name) if space is not None else []
