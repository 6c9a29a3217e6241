"""A registry's assets: the model, environment and component versions shared into it
(read-only here; sharing is a route of the workspace they come from)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import pack_url, tar_response
from opsloop.schemas.entities import Component, Environment, Model
from opsloop.services import models, registry_assets

router = APIRouter(prefix="/registries/{registry}", tags=["registries"])


@router.get("/models")
def list_models(
    registry: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Model]:
    """The latest version of each model, or every version of ``name``."""
    with platform.context(actor) as ctx:
        return models.list_registry_models(ctx, registry, name)


@router.get("/models/{reference}")
def get_model(registry: str, reference: str, platform: PlatformDep, actor: ActorDep) -> Model:
    with platform.context(actor) as ctx:
        return models.get_registry_model(ctx, registry, reference)


@router.get("/models/{reference}/download", response_class=FileResponse)
def download_model(
    registry: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> FileResponse:
    """The model's files as a gzipped tar archive."""
    with platform.context(actor) as ctx:
        model = models.get_registry_model(ctx, registry, reference)
    return tar_response(pack_url(model.path), f"{model.name}-{model.version}.tar.gz")


@router.get("/environments")
def list_environments(
    registry: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Environment]:
    with platform.context(actor) as ctx:
        return registry_assets.list_environments(ctx, registry, name)


@router.get("/environments/{reference}")
def get_environment(
    registry: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Environment:
    with platform.context(actor) as ctx:
        return registry_assets.get_environment(ctx, registry, reference)


@router.get("/components")
def list_components(
    registry: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Component]:
    with platform.context(actor) as ctx:
        return registry_assets.list_components(ctx, registry, name)


@router.get("/components/{reference}")
def get_component(
    registry: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> Component:
    with platform.context(actor) as ctx:
        return registry_assets.get_component(ctx, registry, reference)
