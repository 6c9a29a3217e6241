"""The audit log: list it, verify its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.audit import AuditFilter, AuditRecord, AuditVerification
from opsloop.services import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_audit(
    platform: PlatformDep, actor: ActorDep, filters: Annotated[AuditFilter, Query()]
) -> list[AuditRecord]:
    with platform.context(actor) as ctx:
        return audit.list_audit(ctx, filters)


@router.get("/verify")
def verify_audit(platform: PlatformDep, actor: ActorDep) -> AuditVerification:
    with platform.context(actor) as ctx:
        return audit.verify_audit(ctx)
