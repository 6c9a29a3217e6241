"""Workspaces and registries."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.entities import Registry, Workspace
from opsloop.schemas.update_requests import RegistryUpdate, WorkspaceUpdate
from opsloop.schemas.workspace_checks import Activity, Budget, CostReport
from opsloop.services import registries, workspace_checks, workspaces
from opsloop.specs.budget import BudgetSpec, StalenessSpec
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


@router.patch("/workspaces/{workspace}")
def update_workspace(
    workspace: str, update: WorkspaceUpdate, platform: PlatformDep, actor: ActorDep
) -> Workspace:
    """Change the fields the body gives (a workspace's kind never changes in place)."""
    with platform.context(actor) as ctx:
        return workspaces.update_workspace(ctx, workspace, update)


@router.delete("/workspaces/{workspace}", status_code=204)
def delete_workspace(workspace: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        workspaces.delete_workspace(ctx, workspace)
    return Response(status_code=204)


@router.get("/workspaces/{workspace}/budget")
def get_budget(workspace: str, platform: PlatformDep, actor: ActorDep) -> Budget:
    with platform.context(actor) as ctx:
        return workspace_checks.get_budget(ctx, workspace)


@router.put("/workspaces/{workspace}/budget")
def set_budget(workspace: str, spec: BudgetSpec, platform: PlatformDep, actor: ActorDep) -> Budget:
    with platform.context(actor) as ctx:
        return workspace_checks.set_budget(ctx, workspace, spec)


@router.put("/workspaces/{workspace}/staleness")
def set_staleness(
    workspace: str, spec: StalenessSpec, platform: PlatformDep, actor: ActorDep
) -> Budget:
    with platform.context(actor) as ctx:
        return workspace_checks.set_staleness(ctx, workspace, spec)


@router.get("/workspaces/{workspace}/cost")
def get_cost(
    workspace: str, platform: PlatformDep, actor: ActorDep, month: str | None = None
) -> CostReport:
    with platform.context(actor) as ctx:
        return workspace_checks.get_cost(ctx, workspace, month)


@router.get("/workspaces/{workspace}/activity")
def get_activity(workspace: str, platform: PlatformDep, actor: ActorDep) -> Activity:
    with platform.context(actor) as ctx:
        return workspace_checks.get_activity(ctx, workspace)


@router.post("/workspaces/{workspace}/checks")
def run_checks(workspace: str, platform: PlatformDep, actor: ActorDep) -> dict[str, list[str]]:
    """Check the workspace's cost and staleness now; the events raised (none if raised before)."""
    with platform.context(actor) as ctx:
        return {"raised": workspace_checks.run_checks(ctx, workspace)}


@router.post("/registries", status_code=201, tags=["registries"])
def create_registry(spec: RegistrySpec, platform: PlatformDep, actor: ActorDep) -> Registry:
    with platform.context(actor) as ctx:
        return registries.create_registry(ctx, spec)


@router.get("/registries", tags=["registries"])
def list_registries(platform: PlatformDep, actor: ActorDep) -> list[Registry]:
    with platform.context(actor) as ctx:
        return registries.list_registries(ctx)


@router.patch("/registries/{name}", tags=["registries"])
def update_registry(
    name: str, update: RegistryUpdate, platform: PlatformDep, actor: ActorDep
) -> Registry:
    with platform.context(actor) as ctx:
        return registries.update_registry(ctx, name, update)


@router.get("/registries/{name}", tags=["registries"])
def get_registry(name: str, platform: PlatformDep, actor: ActorDep) -> Registry:
    with platform.context(actor) as ctx:
        return registries.get_registry(ctx, name)
