"""Datastores, data assets, environments and components (versioned assets)."""

from __future__ import annotations

from fastapi import APIRouter

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.entities import Component, DataAsset, Datastore, Environment
from opsloop.services import components, data_assets, datastores, environments
from opsloop.specs.component import ComponentSpec
from opsloop.specs.data import DataSpec, DatastoreSpec
from opsloop.specs.environment import EnvironmentSpec

router = APIRouter(prefix="/workspaces/{workspace}")


@router.post("/datastores", status_code=201, tags=["datastores"])
def create_datastore(
    workspace: str, spec: DatastoreSpec, platform: PlatformDep, actor: ActorDep
) -> Datastore:
    with platform.context(actor) as ctx:
        return datastores.create_datastore(ctx, workspace, spec)


@router.get("/datastores", tags=["datastores"])
def list_datastores(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Datastore]:
    with platform.context(actor) as ctx:
        return datastores.list_datastores(ctx, workspace)


@router.get("/datastores/{name}", tags=["datastores"])
def get_datastore(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Datastore:
    with platform.context(actor) as ctx:
        return datastores.get_datastore(ctx, workspace, name)


@router.post("/data", status_code=201, tags=["data"])
def create_data(
    workspace: str, spec: DataSpec, platform: PlatformDep, actor: ActorDep
) -> DataAsset:
    with platform.context(actor) as ctx:
        return data_assets.create_data_asset(ctx, workspace, spec)


@router.get("/data", tags=["data"])
def list_data(
    workspace: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[DataAsset]:
    with platform.context(actor) as ctx:
        return data_assets.list_data_assets(ctx, workspace, name)


@router.get("/data/{reference}", tags=["data"])
def get_data(workspace: str, reference: str, platform: PlatformDep, actor: ActorDep) -> DataAsset:
    with platform.context(actor) as ctx:
        return data_assets.get_data_asset(ctx, workspace, reference)


@router.post("/environments", status_code=201, tags=["environments"])
def create_environment(
    workspace: str, spec: EnvironmentSpec, platform: PlatformDep, actor: ActorDep
) -> Environment:
    with platform.context(actor) as ctx:
        return environments.create_environment(ctx, workspace, spec)


@router.get("/environments", tags=["environments"])
def list_environments(
    workspace: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Environment]:
    with platform.context(actor) as ctx:
        return environments.list_environments(ctx, workspace, name)


@router.get("/environments/{reference}", tags=["environments"])
def get_environment(
    workspace: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Environment:
    with platform.context(actor) as ctx:
        return environments.get_environment(ctx, workspace, reference)


@router.post("/components", status_code=201, tags=["components"])
def create_component(
    workspace: str, spec: ComponentSpec, platform: PlatformDep, actor: ActorDep
) -> Component:
    with platform.context(actor) as ctx:
        return components.create_component(ctx, workspace, spec)


@router.get("/components", tags=["components"])
def list_components(
    workspace: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Component]:
    with platform.context(actor) as ctx:
        return components.list_components(ctx, workspace, name)


@router.get("/components/{reference}", tags=["components"])
def get_component(
    workspace: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Component:
    with platform.context(actor) as ctx:
        return components.get_component(ctx, workspace, reference)
