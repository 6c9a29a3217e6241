"""Roles, role assignments, and access decisions explained."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.access import AccessDecision, Role, RoleAssignment
from opsloop.services import roles
from opsloop.specs.access import RoleAssignmentSpec, RoleSpec

router = APIRouter(tags=["access"])


@router.get("/roles")
def list_roles(platform: PlatformDep, actor: ActorDep) -> list[Role]:
    with platform.context(actor) as ctx:
        return roles.list_roles(ctx)


@router.get("/roles/{name}")
def get_role(name: str, platform: PlatformDep, actor: ActorDep) -> Role:
    with platform.context(actor) as ctx:
        return roles.get_role(ctx, name)


@router.post("/roles", status_code=201)
def create_role(spec: RoleSpec, platform: PlatformDep, actor: ActorDep) -> Role:
    with platform.context(actor) as ctx:
        return roles.create_role(ctx, spec)


@router.post("/role-assignments", status_code=201)
def create_assignment(
    spec: RoleAssignmentSpec, platform: PlatformDep, actor: ActorDep
) -> RoleAssignment:
    with platform.context(actor) as ctx:
        return roles.create_assignment(ctx, spec)


@router.get("/role-assignments")
def list_assignments(
    platform: PlatformDep,
    actor: ActorDep,
    principal: Annotated[str | None, Query()] = None,
    scope: Annotated[str | None, Query()] = None,
) -> list[RoleAssignment]:
    with platform.context(actor) as ctx:
        return roles.list_assignments(ctx, principal, scope)


@router.delete("/role-assignments/{assignment_id}", status_code=204)
def delete_assignment(assignment_id: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        roles.delete_assignment(ctx, assignment_id)
    return Response(status_code=204)


@router.get("/access/check")
def check_access(
    platform: PlatformDep,
    actor: ActorDep,
    principal: Annotated[str, Query()],
    action: Annotated[str, Query()],
    resource: Annotated[str, Query(description="A scope: /, /workspaces/dev, ...")],
) -> AccessDecision:
    with platform.context(actor) as ctx:
        return roles.check_access(ctx, principal, action, resource)
