"""Monitors: a spec that watches one online deployment, stored per workspace.

Creating one checks that its endpoint and deployment exist; what it reads (collected data,
the model's training data) is resolved when it runs (``monitor_runs``), so a monitor made
before traffic arrives is fine.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.monitor_events import MonitorCreated, MonitorDeleted
from opsloop.errors import NotFoundError
from opsloop.schemas.monitors import Monitor
from opsloop.services.context import ServiceContext
from opsloop.services.online_deployments import require_deployment_row
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.monitor import DEFAULT_SIGNALS, MonitorSpec, monitor_warnings
from opsloop.store.monitor_tables import MonitorResultRow, MonitorRow, MonitorRunRow
from opsloop.store.tables import WorkspaceRow


def create_monitor(ctx: ServiceContext, workspace: str, spec: MonitorSpec) -> Monitor:
    """Create the monitor, or replace the spec of one with this name (its runs stay)."""
    ctx.begin_mutation(Action.MONITORS_WRITE, workspace, f"monitor:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    target = spec.monitoring_target
    endpoint = require_endpoint_row(ctx, ws, target.endpoint)
    require_deployment_row(ctx, endpoint, target.deployment)
    row = _find(ctx, ws, spec.name)
    data = spec.model_dump(mode="json", exclude_none=True)
    if row is None:
        row = MonitorRow(workspace_id=ws.id, name=spec.name, created_by=str(ctx.actor))
        ctx.session.add(row)
    row.endpoint, row.deployment, row.spec = target.endpoint, target.deployment, data
    ctx.session.flush()
    ctx.record(
        Action.MONITORS_WRITE,
        workspace=workspace,
        target=f"monitor:{spec.name}",
        event=MonitorCreated(
            endpoint=target.endpoint, deployment=target.deployment, signals=signal_names(spec)
        ),
    )
    monitor = to_entity(ctx, row, workspace)
    monitor.warnings = monitor_warnings(spec)
    return monitor


def list_monitors(ctx: ServiceContext, workspace: str) -> list[Monitor]:
    ctx.authorize(Action.MONITORS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(MonitorRow).where(MonitorRow.workspace_id == ws.id).order_by(MonitorRow.name)
    )
    return [to_entity(ctx, row, workspace) for row in rows]


def get_monitor(ctx: ServiceContext, workspace: str, name: str) -> Monitor:
    ctx.authorize(Action.MONITORS_READ, workspace, f"monitor:{name}")
    ws = require_workspace_row(ctx, workspace)
    return to_entity(ctx, require_monitor_row(ctx, ws, name), workspace)


def delete_monitor(ctx: ServiceContext, workspace: str, name: str) -> None:
    ctx.begin_mutation(Action.MONITORS_DELETE, workspace, f"monitor:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_monitor_row(ctx, ws, name)
    # Results and runs first, whatever the backend's foreign key enforcement.
    ctx.session.execute(delete(MonitorResultRow).where(MonitorResultRow.monitor_id == row.id))
    ctx.session.execute(delete(MonitorRunRow).where(MonitorRunRow.monitor_id == row.id))
    ctx.session.delete(row)
    ctx.record(
        Action.MONITORS_DELETE,
        workspace=workspace,
        target=f"monitor:{name}",
        event=MonitorDeleted(),
    )


def signal_names(spec: MonitorSpec) -> list[str]:
    return list(spec.monitoring_signals) or list(DEFAULT_SIGNALS)


def require_monitor_row(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> MonitorRow:
    row = _find(ctx, ws, name)
    if row is None:
        raise NotFoundError(
            f"no monitor {name!r} in workspace {ws.name!r}; create one with "
            "`opsloop monitor create -f monitor.yml`"
        )
    return row


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> MonitorRow | None:
    return ctx.session.scalar(
        select(MonitorRow).where(MonitorRow.workspace_id == ws.id, MonitorRow.name == name)
    )


def to_entity(ctx: ServiceContext, row: MonitorRow, workspace: str) -> Monitor:
    spec = MonitorSpec.model_validate(row.spec)
    last = ctx.session.scalar(
        select(func.max(MonitorRunRow.number)).where(MonitorRunRow.monitor_id == row.id)
    )
    return Monitor(
        workspace=workspace,
        name=row.name,
        endpoint=row.endpoint,
        deployment=row.deployment,
        signals=signal_names(spec),
        spec=row.spec,
        created_at=row.created_at,
        created_by=row.created_by,
        last_run=str(last) if last is not None else None,
    )
