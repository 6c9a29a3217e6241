"""The audit log: list it, verify its hash chain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from opsloop.api.deps import ActorDep, ListLimit, Moment, PlatformDep
from opsloop.schemas.audit import AuditRecord, AuditVerification
from opsloop.services import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_audit(
    platform: PlatformDep,
    actor: ActorDep,
    by: Annotated[str | None, Query(alias="actor", description="Who acted.")] = None,
    action: Annotated[str | None, Query(description="An action, or its prefix.")] = None,
    resource: Annotated[str | None, Query(description="online-endpoint:ep, or a prefix.")] = None,
    workspace: Annotated[str | None, Query()] = None,
    outcome: Annotated[Literal["succeeded", "failed", "denied"] | None, Query()] = None,
    since: Moment = None,
    until: Moment = None,
    limit: ListLimit = 100,
) -> list[AuditRecord]:
    with platform.context(actor) as ctx:
        return audit.list_audit(
            ctx,
            actor=by,
            action=action,
            resource=resource,
            workspace=workspace,
            outcome=outcome,
            since=since,
            until=until,
            limit=limit,
        )


@router.get("/verify")
def verify_audit(platform: PlatformDep, actor: ActorDep) -> AuditVerification:
    with platform.context(actor) as ctx:
        return audit.verify_audit(ctx)
