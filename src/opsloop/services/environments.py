"""Environments: Python dependencies (conda file or requirements) plus an optional image.

They run in the current interpreter for now; materialisation as cached virtualenvs and the
package policy come in a later issue. The content hash feeds step reuse.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EnvironmentRegistered
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Environment
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.environment import EnvironmentSpec
from opsloop.store.tables import AssetVersionRow, WorkspaceRow


def create_environment(ctx: ServiceContext, workspace: str, spec: EnvironmentSpec) -> Environment:
    ctx.begin_mutation(Action.ENVIRONMENTS_WRITE, workspace, f"environment:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    row = add_environment_row(ctx, ws, spec)
    ctx.record(
        Action.ENVIRONMENTS_WRITE,
        workspace=workspace,
        target=f"environment:{row.name}:{row.version}",
        event=EnvironmentRegistered(),
    )
    return to_entity(row, workspace)


def add_environment_row(
    ctx: ServiceContext, ws: WorkspaceRow, spec: EnvironmentSpec
) -> AssetVersionRow:
    content = environment_content(spec)
    return assets.add_version(
        ctx,
        ws,
        "environment",
        spec.name,
        spec.version,
        description=spec.description,
        tags=spec.tags,
        content_hash=content_hash(content),
        spec=content,
    )


def environment_content(spec: EnvironmentSpec) -> dict[str, Any]:
    """The parts of an environment that decide what runs (and so what it hashes to)."""
    if isinstance(spec.conda_file, str):
        raise ValidationError(
            "conda_file must be loaded before it reaches the service (the client reads the file)",
            field="conda_file",
        )
    requirements = spec.requirements
    if isinstance(requirements, str):
        requirements = [line.strip() for line in requirements.splitlines() if line.strip()]
    return {"image": spec.image, "conda_file": spec.conda_file, "requirements": requirements}


def pin_environment(ctx: ServiceContext, ws: WorkspaceRow, stored: dict[str, Any]) -> None:
    """In a deployment's stored spec, replace a reference to a workspace environment with
    its content under its name and version: what is served and exported does not move when
    a newer version is registered, and an unknown reference is refused at once. A registry
    URI (``azureml://registries/...``) stays a reference; export reports it."""
    reference = stored.get("environment")
    if not isinstance(reference, str) or reference.startswith("azureml://"):
        return
    row = assets.resolve(ctx, ws, "environment", reference, field="environment")
    content = {key: value for key, value in row.spec.items() if value is not None}
    stored["environment"] = {"name": row.name, "version": row.version, **content}


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def get_environment(ctx: ServiceContext, workspace: str, reference: str) -> Environment:
    ctx.authorize(Action.ENVIRONMENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(assets.resolve(ctx, ws, "environment", reference), workspace)


def list_environments(
    ctx: ServiceContext,
    workspace: str,
    name: str | None = None,
    *,
    include_archived: bool = False,
) -> list[Environment]:
    ctx.authorize(Action.ENVIRONMENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = assets.list_versions(ctx, ws, "environment", name, include_archived=include_archived)
    return [to_entity(r, workspace) for r in rows]


def set_archived(
    ctx: ServiceContext, workspace: str, name: str, version: str | None, *, archived: bool
) -> list[Environment]:
    """Archive (or restore) one version of ``name``, or all of them; oldest first."""
    rows = assets.set_archived(ctx, workspace, "environment", name, version, archived=archived)
    return [to_entity(r, workspace) for r in rows]


def to_entity(row: AssetVersionRow, workspace: str) -> Environment:
    return Environment(
        **assets.common_fields(row, workspace),
        image=row.spec.get("image"),
        conda_file=row.spec.get("conda_file"),
        requirements=row.spec.get("requirements"),
    )
