"""Sharing environments and components into a registry (models: ``model_sharing``).

Their files are already content-addressed in the artifact store (an environment's build
context, a component's code), so sharing copies the stored spec, in one transaction. A
component's environment goes with it: shared under its own name and version when the
registry lacks it, and named by its registry URI in the registry's copy, so a job in any
workspace that runs the component runs it in the same environment.
"""

from __future__ import annotations

from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventPayload
from opsloop.catalogue.sharing_events import ComponentShared, EnvironmentShared
from opsloop.errors import ConflictError
from opsloop.schemas.entities import Component, Environment
from opsloop.services import assets, components, environments
from opsloop.services.context import ServiceContext
from opsloop.services.registries import ensure_registry_space, registry_space
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import AssetVersionRow, WorkspaceRow


def share_environment(
    ctx: ServiceContext,
    workspace: str,
    reference: str,
    registry: str,
    *,
    share_with_name: str | None = None,
    share_with_version: str | None = None,
) -> Environment:
    target = f"registry:{registry}/environment:{share_with_name or reference}"
    ctx.begin_mutation(Action.ENVIRONMENTS_SHARE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    source = assets.resolve(ctx, ws, "environment", reference, field="name")
    row = _copy(ctx, workspace, source, registry, share_with_name, share_with_version)
    _record(ctx, Action.ENVIRONMENTS_SHARE, workspace, registry, source, row, EnvironmentShared)
    return environments.to_entity(row, None, registry=registry)


def share_component(
    ctx: ServiceContext,
    workspace: str,
    reference: str,
    registry: str,
    *,
    share_with_name: str | None = None,
    share_with_version: str | None = None,
) -> Component:
    target = f"registry:{registry}/component:{share_with_name or reference}"
    ctx.begin_mutation(Action.COMPONENTS_SHARE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    source = assets.resolve(ctx, ws, "component", reference, field="name")
    spec = dict(source.spec)
    pinned = spec.get("environment")
    if pinned and "://" not in pinned["reference"]:  # a workspace's: it goes along
        spec["environment"] = _share_environment_of(ctx, ws, pinned, registry)
    spec["hash"] = components.component_hash(spec)
    row = _copy(
        ctx, workspace, source, registry, share_with_name, share_with_version,
        spec=spec | {"name": share_with_name or source.name},
    )  # fmt: skip
    _record(ctx, Action.COMPONENTS_SHARE, workspace, registry, source, row, ComponentShared)
    return components.to_entity(row, None, registry=registry)


def _share_environment_of(
    ctx: ServiceContext, ws: WorkspaceRow, pinned: dict[str, Any], registry: str
) -> dict[str, Any]:
    """The registry's copy of a component's environment: the one of that name and version
    already there (when it is the same environment), else a new copy."""
    source = assets.resolve(ctx, ws, "environment", pinned["reference"], field="environment")
    space = registry_space(ctx, registry)
    existing = (
        assets.find_version(ctx, space, "environment", source.name, source.version)
        if space is not None
        else None
    )
    if existing is None:
        existing = _copy(ctx, ws.name, source, registry, None, None)
        _record(
            ctx, Action.COMPONENTS_SHARE, ws.name, registry, source, existing, EnvironmentShared
        )
    elif existing.content_hash != source.content_hash:
        raise ConflictError(
            f"the component's environment {source.name}:{source.version} differs from the "
            f"registry {registry!r}'s version of that name; share the environment under "
            "another version first and register the component with it"
        )
    return components.pinned_environment(ctx, existing)


def _copy(
    ctx: ServiceContext,
    workspace: str,
    source: AssetVersionRow,
    registry: str,
    share_with_name: str | None,
    share_with_version: str | None,
    *,
    spec: dict[str, Any] | None = None,
) -> AssetVersionRow:
    space = ensure_registry_space(ctx, registry)
    name, version = share_with_name or source.name, share_with_version or source.version
    if assets.find_version(ctx, space, source.asset_kind, name, version) is not None:  # type: ignore[arg-type]
        raise ConflictError(
            f"registry {registry!r} already has {source.asset_kind} {name}:{version}; a "
            "registry's versions are immutable: share with another version "
            "(--share-with-version)"
        )
    return assets.add_version(
        ctx,
        space,
        source.asset_kind,  # type: ignore[arg-type]
        name,
        version,
        type=source.type,
        path=source.path,
        description=source.description,
        tags=dict(source.tags),
        # A component's hash covers its environment's reference, which sharing rewrote.
        content_hash=spec["hash"] if spec and "hash" in spec else source.content_hash,
        spec=spec if spec is not None else dict(source.spec),
        details=dict(source.details)
        | {"shared_from": {"workspace": workspace, "name": source.name, "version": source.version}},
    )


def _record(
    ctx: ServiceContext,
    action: Action,
    workspace: str,
    registry: str,
    source: AssetVersionRow,
    row: AssetVersionRow,
    event: type[EnvironmentShared] | type[ComponentShared],
) -> None:
    payload: EventPayload = event(
        registry=registry,
        name=row.name,
        version=row.version,
        source=f"{workspace}/{source.name}:{source.version}",
    )
    ctx.record(
        action,
        workspace=workspace,
        target=f"registry:{registry}/{row.asset_kind}:{row.name}:{row.version}",
        event=payload,
    )
