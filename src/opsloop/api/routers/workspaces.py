"""Workspaces and registries."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.entities import Registry, Workspace
from opsloop.services import registries, workspaces
from opsloop.specs.workspace import RegistrySpec, WorkspaceSpec

router = APIRouter(tags=["workspaces"])


@router.post("/workspaces", status_code=201)
def create_workspace(spec: WorkspaceSpec, platform: PlatformDep, actor: ActorDep) -> Workspace:
    with platform.context(actor) as ctx:
        return workspaces.create_workspace(ctx, spec)


@router.get("/workspaces")
def list_workspaces(platform: PlatformDep, actor: ActorDep) -> list[Workspace]:
    with platform.context(actor) as ctx:
        return workspaces.list_workspaces(ctx)


@router.get("/workspaces/{workspace}")
def get_workspace(workspace: str, platform: PlatformDep, actor: ActorDep) -> Workspace:
    with platform.context(actor) as ctx:
        return workspaces.get_workspace(ctx, workspace)


@router.delete("/workspaces/{workspace}", status_code=204)
def delete_workspace(workspace: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        workspaces.delete_workspace(ctx, workspace)
    return Response(status_code=204)


@router.post("/registries", status_code=201, tags=["registries"])
def create_registry(spec: RegistrySpec, platform: PlatformDep, actor: ActorDep) -> Registry:
    with platform.context(actor) as ctx:
        return registries.create_registry(ctx, spec)


@router.get("/registries", tags=["registries"])
def list_registries(platform: PlatformDep, actor: ActorDep) -> list[Registry]:
    with platform.context(actor) as ctx:
        return registries.list_registries(ctx)


@router.get("/registries/{name}", tags=["registries"])
def get_registry(name: str, platform: PlatformDep, actor: ActorDep) -> Registry:
    with platform.context(actor) as ctx:
        return registries.get_registry(ctx, name)
