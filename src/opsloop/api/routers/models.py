"""Models: register, read, list, download, archive and restore."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.routers.assets import IncludeArchived, add_archive_routes
from opsloop.api.transfer import pack_url, tar_response
from opsloop.schemas.entities import Model
from opsloop.services import models
from opsloop.specs.model import ModelSpec

router = APIRouter(prefix="/workspaces/{workspace}/models", tags=["models"])


@router.post("", status_code=201)
def create_model(workspace: str, spec: ModelSpec, platform: PlatformDep, actor: ActorDep) -> Model:
    with platform.context(actor) as ctx:
        return models.create_model(ctx, workspace, spec)


@router.get("")
def list_models(
    workspace: str,
    platform: PlatformDep,
    actor: ActorDep,
    name: str | None = None,
    include_archived: IncludeArchived = False,
) -> list[Model]:
    with platform.context(actor) as ctx:
        return models.list_models(ctx, workspace, name, include_archived=include_archived)


@router.get("/{reference}")
def get_model(workspace: str, reference: str, platform: PlatformDep, actor: ActorDep) -> Model:
    with platform.context(actor) as ctx:
        return models.get_model(ctx, workspace, reference)


@router.get("/{reference}/download", response_class=FileResponse)
def download_model(
    workspace: str, reference: str, platform: PlatformDep, actor: ActorDep
) -> FileResponse:
    """The model's files as a gzipped tar archive."""
    with platform.context(actor) as ctx:
        model = models.get_model(ctx, workspace, reference)
    return tar_response(pack_url(model.path), f"{model.name}-{model.version}.tar.gz")


add_archive_routes(router, "", "model", models.set_archived, list[Model])
