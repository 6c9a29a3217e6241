"""A workspace's schedules: create from a spec, list, show, enable, disable, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import DRY_RUN_RESPONSES, ActorDep, DryRun, PlatformDep
from opsloop.schemas.schedules import Schedule
from opsloop.services import schedules
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.specs.schedule import ScheduleSpec

router = APIRouter(prefix="/workspaces/{workspace}/schedules", tags=["schedules"])


@router.post("", status_code=201, responses=DRY_RUN_RESPONSES)
def create_schedule(
    workspace: str, spec: ScheduleSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> Schedule:
    if dry_run:  # a create_job's code was hashed by the client, not uploaded
        spec = with_upload_urls(platform.artifacts, spec)
    with platform.context(actor, dry_run=dry_run) as ctx:
        return schedules.create_schedule(ctx, workspace, spec)


@router.put("/{name}")
def update_schedule(
    workspace: str, name: str, spec: ScheduleSpec, platform: PlatformDep, actor: ActorDep
) -> Schedule:
    with platform.context(actor) as ctx:
        return schedules.update_schedule(ctx, workspace, name, spec)


@router.get("")
def list_schedules(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Schedule]:
    with platform.context(actor) as ctx:
        return schedules.list_schedules(ctx, workspace)


@router.get("/{name}")
def get_schedule(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Schedule:
    with platform.context(actor) as ctx:
        return schedules.get_schedule(ctx, workspace, name)


@router.post("/{name}/enable")
def enable_schedule(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Schedule:
    with platform.context(actor) as ctx:
        return schedules.enable_schedule(ctx, workspace, name)


@router.post("/{name}/disable")
def disable_schedule(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Schedule:
    with platform.context(actor) as ctx:
        return schedules.disable_schedule(ctx, workspace, name)


@router.delete("/{name}", status_code=204)
def delete_schedule(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        schedules.delete_schedule(ctx, workspace, name)
    return Response(status_code=204)
