"""Computes: where a workspace's jobs run."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import DRY_RUN_RESPONSES, ActorDep, DryRun, PlatformDep
from opsloop.schemas.entities import Compute
from opsloop.services import computes
from opsloop.specs.compute import ComputeSpec

router = APIRouter(prefix="/workspaces/{workspace}/computes", tags=["computes"])


@router.post("", status_code=201, responses=DRY_RUN_RESPONSES)
def create_compute(
    workspace: str,
    spec: ComputeSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
) -> Compute:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return computes.create_compute(ctx, workspace, spec)


@router.put("/{name}")
def update_compute(
    workspace: str, name: str, spec: ComputeSpec, platform: PlatformDep, actor: ActorDep
) -> Compute:
    with platform.context(actor) as ctx:
        return computes.update_compute(ctx, workspace, name, spec)


@router.get("")
def list_computes(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Compute]:
    with platform.context(actor) as ctx:
        return computes.list_computes(ctx, workspace)


@router.get("/{name}")
def get_compute(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Compute:
    with platform.context(actor) as ctx:
        return computes.get_compute(ctx, workspace, name)


@router.delete("/{name}", status_code=204)
def delete_compute(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        computes.delete_compute(ctx, workspace, name)
    return Response(status_code=204)
