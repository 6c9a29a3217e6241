"""Principals, groups, API tokens, and who the caller is."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.access import ApiToken, CreatedToken, Group, Identity, Principal
from opsloop.schemas.update_requests import PrincipalUpdate
from opsloop.services import access, principals, tokens
from opsloop.specs.access import (
    BootstrapSpec,
    GroupMemberSpec,
    GroupSpec,
    PrincipalSpec,
    TokenSpec,
)

router = APIRouter(tags=["access"])


@router.get("/whoami")
def whoami(platform: PlatformDep, actor: ActorDep) -> Identity:
    with platform.context(actor) as ctx:
        return access.whoami(ctx)


@router.post("/bootstrap", status_code=201)
def bootstrap(spec: BootstrapSpec, platform: PlatformDep, actor: ActorDep) -> CreatedToken:
    with platform.context(actor) as ctx:
        return principals.bootstrap_owner(ctx, spec)


@router.post("/principals", status_code=201)
def create_principal(spec: PrincipalSpec, platform: PlatformDep, actor: ActorDep) -> Principal:
    with platform.context(actor) as ctx:
        return principals.create_principal(ctx, spec)


@router.get("/principals")
def list_principals(
    platform: PlatformDep,
    actor: ActorDep,
    kind: Annotated[Literal["user", "service_principal"] | None, Query()] = None,
) -> list[Principal]:
    with platform.context(actor) as ctx:
        return principals.list_principals(ctx, kind)


@router.get("/principals/{name}")
def get_principal(name: str, platform: PlatformDep, actor: ActorDep) -> Principal:
    with platform.context(actor) as ctx:
        return principals.get_principal(ctx, name)


@router.patch("/principals/{name}")
def update_principal(
    name: str, update: PrincipalUpdate, platform: PlatformDep, actor: ActorDep
) -> Principal:
    """Change a principal's display name or description (never its kind)."""
    with platform.context(actor) as ctx:
        return principals.update_principal(ctx, name, update)


@router.post("/principals/{name}/disable")
def disable_principal(name: str, platform: PlatformDep, actor: ActorDep) -> Principal:
    with platform.context(actor) as ctx:
        return principals.disable_principal(ctx, name)


@router.post("/groups", status_code=201)
def create_group(spec: GroupSpec, platform: PlatformDep, actor: ActorDep) -> Group:
    with platform.context(actor) as ctx:
        return principals.create_group(ctx, spec)


@router.get("/groups")
def list_groups(platform: PlatformDep, actor: ActorDep) -> list[Group]:
    with platform.context(actor) as ctx:
        return principals.list_groups(ctx)


@router.get("/groups/{name}")
def get_group(name: str, platform: PlatformDep, actor: ActorDep) -> Group:
    with platform.context(actor) as ctx:
        return principals.get_group(ctx, name)


@router.post("/groups/{name}/members")
def add_member(name: str, spec: GroupMemberSpec, platform: PlatformDep, actor: ActorDep) -> Group:
    with platform.context(actor) as ctx:
        return principals.add_member(ctx, name, spec)


@router.delete("/groups/{name}/members/{principal}")
def remove_member(name: str, principal: str, platform: PlatformDep, actor: ActorDep) -> Group:
    with platform.context(actor) as ctx:
        return principals.remove_member(ctx, name, principal)


@router.post("/tokens", status_code=201)
def create_token(spec: TokenSpec, platform: PlatformDep, actor: ActorDep) -> CreatedToken:
    with platform.context(actor) as ctx:
        return tokens.create_token(ctx, spec)


@router.get("/tokens")
def list_tokens(
    platform: PlatformDep, actor: ActorDep, principal: Annotated[str | None, Query()] = None
) -> list[ApiToken]:
    with platform.context(actor) as ctx:
        return tokens.list_tokens(ctx, principal)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: str, platform: PlatformDep, actor: ActorDep) -> ApiToken:
    with platform.context(actor) as ctx:
        return tokens.revoke_token(ctx, token_id)
