"""A registry's models: the versions shared into it (read-only; sharing is a workspace's
model route)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import pack_url, tar_response
from opsloop.schemas.entities import Model
from opsloop.services import models

router = APIRouter(prefix="/registries/{registry}/models", tags=["registries"])


@router.get("")
def list_models(
    registry: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Model]:
    """The latest version of each model, or every version of ``name``."""
    with platform.context(actor) as ctx:
        return models.list_registry_models(ctx, registry, name)


@router.get("/{reference}")
def get_model(registry: str, reference: str, platform: PlatformDep, actor: ActorDep) -> Model:
    with platform.context(actor) as ctx:
        return models.get_registry_model(ctx, registry, reference)


@router.get("/{reference}/download", response_class=FileResponse)
def download_model(
    registry: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> FileResponse:
    """The model's files as a gzipped tar archive."""
    with platform.context(actor) as ctx:
        model = models.get_registry_model(ctx, registry, reference)
    return tar_response(pack_url(model.path), f"{model.name}-{model.version}.tar.gz")
