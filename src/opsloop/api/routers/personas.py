"""Persona templates and just-in-time elevation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from opsloop.api.deps import DRY_RUN_HEADERS, ActorDep, DryRun, PlatformDep
from opsloop.schemas.personas import Elevation, Persona, PersonaAssignment
from opsloop.services import elevations, personas
from opsloop.specs.personas import ElevationDecisionSpec, ElevationRequestSpec, PersonaAssignSpec

router = APIRouter(tags=["access"])


@router.get("/personas")
def list_personas(platform: PlatformDep, actor: ActorDep) -> list[Persona]:
    with platform.context(actor) as ctx:
        return personas.list_personas(ctx)


@router.get("/personas/{name}")
def get_persona(name: str, platform: PlatformDep, actor: ActorDep) -> Persona:
    with platform.context(actor) as ctx:
        return personas.get_persona(ctx, name)


@router.post("/personas/{name}/assignments", responses=DRY_RUN_HEADERS)
def assign_persona(
    name: str, spec: PersonaAssignSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> PersonaAssignment:
    """Idempotent; with ``dry_run``, what it would assign (or make eligible), writing
    nothing."""
    with platform.context(actor, dry_run=dry_run) as ctx:
        return personas.assign_persona(ctx, name, spec)


@router.post("/elevations", status_code=201)
def request_elevation(
    spec: ElevationRequestSpec, platform: PlatformDep, actor: ActorDep
) -> Elevation:
    with platform.context(actor) as ctx:
        return elevations.request_elevation(ctx, spec)


@router.get("/elevations")
def list_elevations(
    platform: PlatformDep,
    actor: ActorDep,
    workspace: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="pending, active, expired, rejected")] = None,
) -> list[Elevation]:
    with platform.context(actor) as ctx:
        return elevations.list_elevations(ctx, workspace, status)


@router.get("/elevations/{elevation_id}")
def get_elevation(elevation_id: str, platform: PlatformDep, actor: ActorDep) -> Elevation:
    with platform.context(actor) as ctx:
        return elevations.get_elevation(ctx, elevation_id)


@router.post("/elevations/{elevation_id}/approve")
def approve_elevation(
    elevation_id: str, spec: ElevationDecisionSpec, platform: PlatformDep, actor: ActorDep
) -> Elevation:
    with platform.context(actor) as ctx:
        return elevations.approve_elevation(ctx, elevation_id, spec)


@router.post("/elevations/{elevation_id}/reject")
def reject_elevation(
    elevation_id: str, spec: ElevationDecisionSpec, platform: PlatformDep, actor: ActorDep
) -> Elevation:
    with platform.context(actor) as ctx:
        return elevations.reject_elevation(ctx, elevation_id, spec)
