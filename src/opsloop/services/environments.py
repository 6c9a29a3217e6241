"""Environments: Python dependencies (conda file or requirements) plus an optional image.

They run in the current interpreter for now; materialisation as cached virtualenvs and the
package policy come in a later issue. The content hash feeds step reuse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EnvironmentRegistered
from opsloop.errors import ConflictError, ValidationError
from opsloop.schemas.entities import Environment
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.environment import EnvironmentSpec, InlineEnvironmentSpec
from opsloop.store.tables import AssetVersionRow, WorkspaceRow

# The name inline environments without one are stored under; the version is their hash.
ANONYMOUS = "anonymous-environment"


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


def inline_environment_row(
    ctx: ServiceContext, ws: WorkspaceRow, spec: InlineEnvironmentSpec, *, field: str
) -> AssetVersionRow:
    """An environment written inside a job or component, stored once per content (as
    Azure ML does): without a name, as ``anonymous-environment:<content hash>``; with one,
    as the version of that name holding the same content, or else a new version."""
    with located(field):
        content = environment_content(spec)
    digest = content_hash(content)
    name = spec.name or ANONYMOUS
    version = spec.version or (None if spec.name else digest[:32])
    for row in assets.list_versions(ctx, ws, "environment", name):
        if row.content_hash == digest and version in (None, row.version):
            return row
    ctx.begin_mutation(Action.ENVIRONMENTS_WRITE, ws.name, f"environment:{name}")
    with located(field):
        row = assets.add_version(
            ctx,
            ws,
            "environment",
            name,
            version,
            description=spec.description,
            tags=spec.tags,
            content_hash=digest,
            spec=content,
        )
    ctx.record(
        Action.ENVIRONMENTS_WRITE,
        workspace=ws.name,
        target=f"environment:{row.name}:{row.version}",
        event=EnvironmentRegistered(),
    )
    return row


@contextmanager
def located(field: str) -> Iterator[None]:
    """Errors about an inline environment name where it was written."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(
            exc.reason, field=f"{field}.{exc.field}" if exc.field else field
        ) from None
    except ConflictError as exc:
        raise ValidationError(str(exc), field=field) from None


def environment_content(spec: InlineEnvironmentSpec) -> dict[str, Any]:
    """The parts of an environment that decide what runs (and so what it hashes to)."""
    if isinstance(spec.conda_file, str):
        raise ValidationError(
            "conda_file must be loaded before it reaches the service (the client reads the file)",
            field="conda_file",
        )
    requirements = spec.requirements
    if isinstance(requirements, str):
        requirements = [line.strip() for line in requirements.splitlines() if line.strip()]
    content: dict[str, Any] = {
        "image": spec.image,
        "conda_file": spec.conda_file,
        "requirements": requirements,
    }
    if spec.build is not None:  # only when set: the hashes of environments without one stay
        content["build"] = spec.build
    return content


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


def to_entity(
    row: AssetVersionRow, workspace: str | None, *, registry: str | None = None
) -> Environment:
    return Environment(
        **assets.common_fields(row, workspace, registry=registry),
        image=row.spec.get("image"),
        conda_file=row.spec.get("conda_file"),
        requirements=row.spec.get("requirements"),
        build=row.spec.get("build"),
    )
