"""Models: register, read, list, download, archive and restore; share into a registry;
aliases (``name@champion``)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.routers.assets import IncludeArchived, add_archive_routes
from opsloop.api.transfer import pack_url, tar_response
from opsloop.schemas.asset_requests import AssetShare, ModelAliasUpdate
from opsloop.schemas.entities import Model, ModelAlias
from opsloop.services import model_aliases, models
from opsloop.services.model_sharing import share_model
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


@router.post("/{reference}/share", status_code=201)
def share(
    workspace: str, reference: str, body: AssetShare, platform: PlatformDep, actor: ActorDep
) -> Model:
    """Copy the version into a registry, where every workspace can deploy it."""
    return share_model(
        platform,
        actor,
        workspace,
        reference,
        body.registry,
        share_with_name=body.share_with_name,
        share_with_version=body.share_with_version,
    )


@router.get("/{name}/aliases")
def list_aliases(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> list[ModelAlias]:
    with platform.context(actor) as ctx:
        return model_aliases.list_model_aliases(ctx, workspace, name)


@router.put("/{name}/aliases/{alias}")
def set_alias(
    workspace: str,
    name: str,
    alias: str,
    body: ModelAliasUpdate,
    platform: PlatformDep,
    actor: ActorDep,
) -> ModelAlias:
    """Point ``name@alias`` at a version (moving it if it pointed elsewhere)."""
    with platform.context(actor) as ctx:
        return model_aliases.set_model_alias(ctx, workspace, name, alias, body.version)


@router.delete("/{name}/aliases/{alias}", status_code=204)
def delete_alias(
    workspace: str, name: str, alias: str, platform: PlatformDep, actor: ActorDep
) -> Response:
    with platform.context(actor) as ctx:
        model_aliases.delete_model_alias(ctx, workspace, name, alias)
    return Response(status_code=204)


add_archive_routes(router, "", "model", models.set_archived, list[Model])
