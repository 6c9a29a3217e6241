"""Datastores, data assets, environments and components (versioned assets)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query

from opsloop.api.deps import DRY_RUN_RESPONSES, ActorDep, DryRun, PlatformDep
from opsloop.schemas.asset_requests import AssetShare
from opsloop.schemas.entities import Component, DataAsset, Datastore, Environment
from opsloop.services import components, data_assets, datastores, environments, spec_sharing
from opsloop.services.context import Platform
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.specs.component import ComponentSpec
from opsloop.specs.data import DataSpec, DatastoreSpec
from opsloop.specs.environment import EnvironmentSpec

router = APIRouter(prefix="/workspaces/{workspace}")

IncludeArchived = Annotated[
    bool, Query(description="List archived versions too (hidden by default).")
]
ArchiveVersion = Annotated[
    str | None,
    Query(min_length=1, max_length=64, description="Only this version (default: every version)."),
]
SetArchived = Callable[..., list[Any]]
SpecT = TypeVar("SpecT")


@router.post("/datastores", status_code=201, tags=["datastores"], responses=DRY_RUN_RESPONSES)
def create_datastore(
    workspace: str,
    spec: DatastoreSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
) -> Datastore:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return datastores.create_datastore(
            ctx, workspace, with_upload_urls(platform.artifacts, spec)
        )


def _checked(platform: Platform, spec: SpecT, dry_run: bool) -> SpecT:
    """A dry run's spec names local files by content, not uploaded: their would-be URLs."""
    return with_upload_urls(platform.artifacts, spec) if dry_run else spec


@router.put("/datastores/{name}", tags=["datastores"])
def update_datastore(
    workspace: str, name: str, spec: DatastoreSpec, platform: PlatformDep, actor: ActorDep
) -> Datastore:
    with platform.context(actor) as ctx:
        return datastores.update_datastore(ctx, workspace, name, spec)


@router.get("/datastores", tags=["datastores"])
def list_datastores(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Datastore]:
    with platform.context(actor) as ctx:
        return datastores.list_datastores(ctx, workspace)


@router.get("/datastores/{name}", tags=["datastores"])
def get_datastore(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Datastore:
    with platform.context(actor) as ctx:
        return datastores.get_datastore(ctx, workspace, name)


@router.post("/data", status_code=201, tags=["data"], responses=DRY_RUN_RESPONSES)
def create_data(
    workspace: str, spec: DataSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> DataAsset:
    pending: dict[str, str] = {}
    if dry_run:  # local files were hashed by the client, not uploaded
        spec = with_upload_urls(platform.artifacts, spec, pending)
    with platform.context(actor, dry_run=dry_run) as ctx:
        return data_assets.create_data_asset(ctx, workspace, spec, pending)


@router.get("/data", tags=["data"])
def list_data(
    workspace: str,
    platform: PlatformDep,
    actor: ActorDep,
    name: str | None = None,
    include_archived: IncludeArchived = False,
) -> list[DataAsset]:
    with platform.context(actor) as ctx:
        return data_assets.list_data_assets(ctx, workspace, name, include_archived=include_archived)


@router.get("/data/{reference}", tags=["data"])
def get_data(workspace: str, reference: str, platform: PlatformDep, actor: ActorDep) -> DataAsset:
    with platform.context(actor) as ctx:
        return data_assets.get_data_asset(ctx, workspace, reference)


@router.post("/environments", status_code=201, tags=["environments"], responses=DRY_RUN_RESPONSES)
def create_environment(
    workspace: str,
    spec: EnvironmentSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
) -> Environment:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return environments.create_environment(
            ctx, workspace, with_upload_urls(platform.artifacts, spec)
        )


@router.get("/environments", tags=["environments"])
def list_environments(
    workspace: str,
    platform: PlatformDep,
    actor: ActorDep,
    name: str | None = None,
    include_archived: IncludeArchived = False,
) -> list[Environment]:
    with platform.context(actor) as ctx:
        return environments.list_environments(
            ctx, workspace, name, include_archived=include_archived
        )


@router.get("/environments/{reference}", tags=["environments"])
def get_environment(
    workspace: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Environment:
    with platform.context(actor) as ctx:
        return environments.get_environment(ctx, workspace, reference)


@router.post("/components", status_code=201, tags=["components"], responses=DRY_RUN_RESPONSES)
def create_component(
    workspace: str,
    spec: ComponentSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
) -> Component:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return components.create_component(
            ctx, workspace, with_upload_urls(platform.artifacts, spec)
        )


@router.get("/components", tags=["components"])
def list_components(
    workspace: str,
    platform: PlatformDep,
    actor: ActorDep,
    name: str | None = None,
    include_archived: IncludeArchived = False,
) -> list[Component]:
    with platform.context(actor) as ctx:
        return components.list_components(ctx, workspace, name, include_archived=include_archived)


@router.get("/components/{reference}", tags=["components"])
def get_component(
    workspace: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Component:
    with platform.context(actor) as ctx:
        return components.get_component(ctx, workspace, reference)


@router.post("/environments/{reference}/share", status_code=201, tags=["environments"])
def share_environment(
    workspace: str, reference: str, body: AssetShare, platform: PlatformDep, actor: ActorDep
) -> Environment:
    """Copy the version into a registry, from where every workspace can use it."""
    with platform.context(actor) as ctx:
        return spec_sharing.share_environment(
            ctx, workspace, reference, body.registry,
            share_with_name=body.share_with_name, share_with_version=body.share_with_version,
        )  # fmt: skip


@router.post("/components/{reference}/share", status_code=201, tags=["components"])
def share_component(
    workspace: str, reference: str, body: AssetShare, platform: PlatformDep, actor: ActorDep
) -> Component:
    """Copy the version (and its environment) into a registry."""
    with platform.context(actor) as ctx:
        return spec_sharing.share_component(
            ctx, workspace, reference, body.registry,
            share_with_name=body.share_with_name, share_with_version=body.share_with_version,
        )  # fmt: skip


def add_archive_routes(
    router: APIRouter, route: str, noun: str, set_archived: SetArchived, response_model: Any
) -> None:
    """``POST <route>/{name}/archive`` and ``.../restore`` (``?version=`` for one version),
    answering the versions named, as they are now."""
    tags: list[str | Enum] = [route.strip("/")] if route else []
    for verb, archived in (("archive", True), ("restore", False)):
        router.add_api_route(
            f"{route}/{{name}}/{verb}",
            _archive_endpoint(set_archived, archived=archived),
            methods=["POST"],
            response_model=response_model,
            tags=tags,
            name=f"{verb}_{noun.replace(' ', '_')}",
            summary=f"{verb.capitalize()} {noun} versions",
            description=(
                f"{verb.capitalize()} one version of a {noun} (`version`), or every version. "
                "Archived versions are hidden from lists and from `name@latest`, and still "
                "found by `name:version`."
            ),
        )


def _archive_endpoint(set_archived: SetArchived, *, archived: bool) -> Callable[..., list[Any]]:
    def endpoint(
        workspace: str,
        name: str,
        platform: PlatformDep,
        actor: ActorDep,
        version: ArchiveVersion = None,
    ) -> list[Any]:
        with platform.context(actor) as ctx:
            return set_archived(ctx, workspace, name, version, archived=archived)

    return endpoint


add_archive_routes(router, "/data", "data asset", data_assets.set_archived, list[DataAsset])
add_archive_routes(
    router, "/environments", "environment", environments.set_archived, list[Environment]
)
add_archive_routes(router, "/components", "component", components.set_archived, list[Component])
