"""Monitors of a workspace: create, list, show, delete, run, and their runs' results."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import DRY_RUN_RESPONSES, ActorDep, DryRun, PlatformDep
from opsloop.schemas.monitors import Monitor, MonitorRun, MonitorRunRequest
from opsloop.services import monitor_runs, monitors
from opsloop.specs.monitor import MonitorSpec

router = APIRouter(prefix="/workspaces/{workspace}/monitors", tags=["monitors"])


@router.post("", status_code=201, responses=DRY_RUN_RESPONSES)
def create_monitor(
    workspace: str, spec: MonitorSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> Monitor:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return monitors.create_monitor(ctx, workspace, spec)


@router.get("")
def list_monitors(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Monitor]:
    with platform.context(actor) as ctx:
        return monitors.list_monitors(ctx, workspace)


@router.get("/{name}")
def get_monitor(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Monitor:
    with platform.context(actor) as ctx:
        return monitors.get_monitor(ctx, workspace, name)


@router.delete("/{name}", status_code=204)
def delete_monitor(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        monitors.delete_monitor(ctx, workspace, name)
    return Response(status_code=204)


@router.post("/{name}/runs", status_code=201)
def run_monitor(
    workspace: str, name: str, body: MonitorRunRequest, platform: PlatformDep, actor: ActorDep
) -> MonitorRun:
    with platform.context(actor) as ctx:
        return monitor_runs.run_monitor(ctx, workspace, name, window_end=body.window_end)


@router.get("/{name}/runs")
def list_runs(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> list[MonitorRun]:
    with platform.context(actor) as ctx:
        return monitor_runs.list_runs(ctx, workspace, name)


@router.get("/{name}/runs/{run}")
def get_run(
    workspace: str, name: str, run: str, platform: PlatformDep, actor: ActorDep
) -> MonitorRun:
    """A run with its results: ``latest``, a run number, or a run id."""
    with platform.context(actor) as ctx:
        return monitor_runs.get_run(ctx, workspace, name, run)
