"""``client.audit``: the audit log and its hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from opsloop.schemas.audit import AuditRecord, AuditVerification

if TYPE_CHECKING:
    from opsloop.client._client import Client


class AuditOperations:
    """Who did what, and whether the record is intact::

    client.audit.list(actor="alice", action="jobs/", since=datetime(2026, 12, 1))
    client.audit.verify().ok
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        resource: str | None = None,
        workspace: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        params = {
            "actor": actor,
            "action": action,
            "resource": resource,
            "workspace": workspace,
            "outcome": outcome,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "limit": limit,
        }
        given = {k: v for k, v in params.items() if v is not None}
        answer = self._client.request("GET", "/audit", params=given)
        return [AuditRecord.model_validate(r) for r in answer]

    def verify(self) -> AuditVerification:
        return AuditVerification.model_validate(self._client.request("GET", "/audit/verify"))
