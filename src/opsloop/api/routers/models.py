"""Models: register, read, list, download."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import pack_url
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
    workspace: str, platform: PlatformDep, actor: ActorDep, name: str | None = None
) -> list[Model]:
    with platform.context(actor) as ctx:
        return models.list_models(ctx, workspace, name)


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
    archive = pack_url(model.path)
    return FileResponse(
        archive,
        media_type="application/gzip",
        filename=f"{model.name}-{model.version}.tar.gz",
        background=BackgroundTask(archive.unlink),
    )
