"""A workspace's secrets vault: names and versions to whoever reads the workspace, values
only to the Key Vault roles (``GET .../value``), never cached on the way."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.vault import Secret, SecretValue
from opsloop.services import vault
from opsloop.specs.vault import SecretSpec

router = APIRouter(prefix="/workspaces/{workspace}/secrets", tags=["secrets"])


@router.get("")
def list_secrets(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[Secret]:
    with platform.context(actor) as ctx:
        return vault.list_secrets(ctx, workspace)


@router.get("/{name}")
def get_secret(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Secret:
    with platform.context(actor) as ctx:
        return vault.get_secret(ctx, workspace, name)


@router.put("/{name}")
def set_secret(
    workspace: str, name: str, spec: SecretSpec, platform: PlatformDep, actor: ActorDep
) -> Secret:
    with platform.context(actor) as ctx:
        return vault.set_secret(ctx, workspace, name, spec)


@router.get("/{name}/value")
def read_secret_value(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep, response: Response
) -> SecretValue:
    response.headers["Cache-Control"] = "no-store"
    with platform.context(actor) as ctx:
        return vault.read_secret_value(ctx, workspace, name)


@router.delete("/{name}", status_code=204)
def delete_secret(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        vault.delete_secret(ctx, workspace, name)
    return Response(status_code=204)
