"""Computes: where a workspace's jobs run. ``type: local`` runs steps as processes on the
host that runs the job, at most ``max_instances`` at once. Azure ML's cluster and instance
types are accepted and run the same way (with a warning); ``serverless`` and ``local``
name the default local compute and need no create."""

from __future__ import annotations

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import ComputeCreated, ComputeDeleted, ComputeUpdated
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.execution.plan import ComputePlan
from opsloop.schemas.entities import Compute
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.azureml_keys import compute_warnings
from opsloop.specs.compute import DEFAULT_COMPUTES, ComputeSpec
from opsloop.specs.references import strip_alias
from opsloop.store.tables import ComputeRow, WorkspaceRow

# The fields of a spec that have columns; the rest is kept in ``spec``.
_COLUMNS = {"name", "type", "max_instances", "min_instances", "description", "tags"}


def create_compute(ctx: ServiceContext, workspace: str, spec: ComputeSpec) -> Compute:
    ctx.begin_mutation(Action.COMPUTES_WRITE, workspace, f"compute:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    if spec.name in DEFAULT_COMPUTES:
        raise ValidationError(
            f"{spec.name!r} names the default local compute, which exists already; "
            "choose another name",
            field="name",
        )
    if _find(ctx, ws, spec.name) is not None:
        raise ConflictError(f"compute {spec.name!r} already exists in workspace {workspace!r}")
    _check_instances(spec)
    row = ComputeRow(workspace_id=ws.id, name=spec.name, created_by=str(ctx.actor))
    _fill(row, spec)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.COMPUTES_WRITE,
        workspace=workspace,
        target=f"compute:{spec.name}",
        event=ComputeCreated(type=spec.type, max_instances=spec.max_instances),
    )
    entity = to_entity(row, workspace)
    entity.warnings = compute_warnings(spec)
    return entity


def update_compute(ctx: ServiceContext, workspace: str, name: str, spec: ComputeSpec) -> Compute:
    """Replace a compute's settings with ``spec``'s (``opsloop apply``); jobs already
    submitted keep the settings they were planned with."""
    ctx.begin_mutation(Action.COMPUTES_WRITE, workspace, f"compute:{name}")
    ws = require_workspace_row(ctx, workspace)
    if spec.name != strip_alias(name):
        raise ValidationError(f"must be {name!r}: a compute cannot be renamed", field="name")
    row = _require(ctx, ws, spec.name)
    _check_instances(spec)
    _fill(row, spec)
    ctx.session.flush()
    ctx.record(
        Action.COMPUTES_WRITE,
        workspace=workspace,
        target=f"compute:{spec.name}",
        event=ComputeUpdated(type=spec.type, max_instances=spec.max_instances),
    )
    entity = to_entity(row, workspace)
    entity.warnings = compute_warnings(spec)
    return entity


def _check_instances(spec: ComputeSpec) -> None:
    if spec.max_instances is not None and spec.min_instances > spec.max_instances:
        raise ValidationError(
            f"must not exceed max_instances ({spec.max_instances})", field="min_instances"
        )


def _fill(row: ComputeRow, spec: ComputeSpec) -> None:
    row.type = spec.type
    row.max_instances = spec.max_instances
    row.min_instances = spec.min_instances
    row.description = spec.description
    row.tags = spec.tags
    row.spec = spec.model_dump(mode="json", exclude=_COLUMNS, exclude_none=True)


def get_compute(ctx: ServiceContext, workspace: str, name: str) -> Compute:
    ctx.authorize(Action.COMPUTES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(_require(ctx, ws, strip_alias(name)), workspace)


def list_computes(ctx: ServiceContext, workspace: str) -> list[Compute]:
    ctx.authorize(Action.COMPUTES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(ComputeRow).where(ComputeRow.workspace_id == ws.id).order_by(ComputeRow.name)
    )
    return [to_entity(r, workspace) for r in rows]


def delete_compute(ctx: ServiceContext, workspace: str, name: str) -> None:
    """Jobs already submitted keep the compute they were planned on."""
    ctx.begin_mutation(Action.COMPUTES_DELETE, workspace, f"compute:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = _require(ctx, ws, strip_alias(name))
    ctx.session.delete(row)
    ctx.record(
        Action.COMPUTES_DELETE,
        workspace=workspace,
        target=f"compute:{row.name}",
        event=ComputeDeleted(),
    )


def resolve_compute(
    ctx: ServiceContext, ws: WorkspaceRow, value: str | None, *, field: str
) -> ComputePlan:
    """The compute a job or step names (``cpu-cluster``, ``azureml:cpu-cluster``);
    none, ``local`` or ``serverless`` is the default local compute."""
    name = strip_alias(value.strip()) if value else "local"
    if name in DEFAULT_COMPUTES:
        return ComputePlan()
    row = _find(ctx, ws, name)
    if row is None:
        raise ValidationError(
            f"compute {name!r} does not exist in workspace {ws.name!r}; create it with "
            f"`opsloop compute create -w {ws.name} --name {name} --type local` "
            "or use compute: serverless",
            field=field,
        )
    return ComputePlan(name=row.name, type=row.type, max_instances=row.max_instances)


def _require(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> ComputeRow:
    row = _find(ctx, ws, name)
    if row is None:
        raise NotFoundError(f"compute {name!r} not found in workspace {ws.name!r}")
    return row


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> ComputeRow | None:
    return ctx.session.scalar(
        select(ComputeRow).where(ComputeRow.workspace_id == ws.id, ComputeRow.name == name)
    )


def to_entity(row: ComputeRow, workspace: str) -> Compute:
    return Compute(
        workspace=workspace,
        name=row.name,
        type=row.type,
        max_instances=row.max_instances,
        min_instances=row.min_instances,
        description=row.description,
        tags=row.tags,
        properties=row.spec,
        created_at=row.created_at,
        created_by=row.created_by,
    )
