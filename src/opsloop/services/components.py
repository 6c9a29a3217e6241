"""Command components: typed inputs/outputs, code, environment and command, versioned."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import ComponentRegistered
from opsloop.errors import ValidationError
from opsloop.execution.expressions import check_command
from opsloop.schemas.entities import Component
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.curated_environments import curated_by_name, resolve_curated
from opsloop.services.environments import inline_environment_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.component import ComponentSpec
from opsloop.specs.environment import InlineEnvironmentSpec
from opsloop.specs.references import CURATED_REGISTRY, parse_reference, parse_registry_uri
from opsloop.store.tables import AssetVersionRow, WorkspaceRow


def create_component(ctx: ServiceContext, workspace: str, spec: ComponentSpec) -> Component:
    ctx.begin_mutation(Action.COMPONENTS_WRITE, workspace, f"component:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    resolved = resolve_component(ctx, ws, spec, field="")
    row = assets.add_version(
        ctx,
        ws,
        "component",
        spec.name,
        spec.version,
        type="command",
        description=spec.description,
        tags=spec.tags,
        content_hash=resolved["hash"],
        spec=resolved,
    )
    ctx.record(
        Action.COMPONENTS_WRITE,
        workspace=workspace,
        target=f"component:{row.name}:{row.version}",
        event=ComponentRegistered(),
    )
    return to_entity(row, workspace)


def resolve_component(
    ctx: ServiceContext, ws: WorkspaceRow, spec: ComponentSpec, *, field: str
) -> dict[str, Any]:
    """Validate a component and pin its environment; returns its stored (resolved) form."""
    prefix = f"{field}." if field else ""
    optional = {name for name, decl in spec.inputs.items() if decl.optional}
    check_command(spec.command, spec.inputs, spec.outputs, optional, field=f"{prefix}command")
    if spec.code is not None:
        require_uploaded(spec.code, field=f"{prefix}code")
    resolved: dict[str, Any] = {
        "name": spec.name,
        "display_name": spec.display_name,
        "command": spec.command,
        "code": spec.code,
        "inputs": {k: v.model_dump(exclude_none=True) for k, v in spec.inputs.items()},
        "outputs": {k: v.model_dump(exclude_none=True) for k, v in spec.outputs.items()},
        "environment": resolve_environment(ctx, ws, spec.environment, field=f"{prefix}environment"),
        "environment_variables": spec.environment_variables,
        "is_deterministic": spec.is_deterministic,
    }
    resolved["hash"] = component_hash(resolved)
    return resolved


def component_hash(resolved: dict[str, Any]) -> str:
    """What a component does (its name and its own hash aside), hashed."""
    content = {k: v for k, v in resolved.items() if k not in ("name", "hash")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def require_uploaded(code: str, *, field: str) -> None:
    """Code reaches the service as a URL: the CLI and SDK upload local folders first."""
    if "://" not in code:
        raise ValidationError(
            "code must be uploaded first (the CLI and SDK do this for local folders)", field=field
        )


def resolve_environment(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    environment: str | InlineEnvironmentSpec | None,
    *,
    field: str,
) -> dict[str, Any] | None:
    """Pin an environment to a version: a workspace reference, an inline environment
    (stored once per content), or a curated one of the built-in ``azureml`` registry
    (``azureml://registries/azureml/...`` or ``azureml:AzureML-<name>``)."""
    if environment is None:
        return None
    if isinstance(environment, InlineEnvironmentSpec):
        row = inline_environment_row(ctx, ws, environment, field=field)
    else:
        registry = parse_registry_uri(environment, field=field, kind="environment")
        if registry is not None and registry.registry == CURATED_REGISTRY:
            return resolve_curated(registry, field=field)
        if registry is not None:
            row = assets.resolve_in_registry(ctx, registry, field=field)
            return pinned_environment(ctx, row)
        reference = parse_reference(environment, field=field)
        try:
            row = assets.resolve(ctx, ws, "environment", reference, field=field)
        except ValidationError:
            # A workspace environment of that name wins; else a curated name (AzureML-...).
            curated = curated_by_name(reference.name, reference.version, field=field)
            if curated is None:
                raise
            return curated
    return pinned_environment(ctx, row)


def pinned_environment(ctx: ServiceContext, row: AssetVersionRow) -> dict[str, Any]:
    """What a component or job keeps of its environment: the reference that names it from
    any workspace, its content and its hash."""
    return {
        "reference": assets.reference_to(ctx, row),
        "content": row.spec,
        "hash": row.content_hash,
    }


def get_component(ctx: ServiceContext, workspace: str, reference: str) -> Component:
    ctx.authorize(Action.COMPONENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(assets.resolve(ctx, ws, "component", reference), workspace)


def list_components(
    ctx: ServiceContext,
    workspace: str,
    name: str | None = None,
    *,
    include_archived: bool = False,
) -> list[Component]:
    ctx.authorize(Action.COMPONENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = assets.list_versions(ctx, ws, "component", name, include_archived=include_archived)
    return [to_entity(r, workspace) for r in rows]


def set_archived(
    ctx: ServiceContext, workspace: str, name: str, version: str | None, *, archived: bool
) -> list[Component]:
    """Archive (or restore) one version of ``name``, or all of them; oldest first."""
    rows = assets.set_archived(ctx, workspace, "component", name, version, archived=archived)
    return [to_entity(r, workspace) for r in rows]


def to_entity(
    row: AssetVersionRow, workspace: str | None, *, registry: str | None = None
) -> Component:
    return Component(
        **assets.common_fields(row, workspace, registry=registry),
        display_name=row.spec.get("display_name"),
        spec=row.spec,
    )
