"""``client.audit``: the audit log and its hash chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opsloop.schemas.audit import AuditFilter, AuditRecord, AuditVerification

if TYPE_CHECKING:
    from opsloop.client._client import Client


class AuditOperations:
    """Who did what, and whether the record is intact::

    client.audit.list(actor="alice", action="jobs/", since="2026-12-01T00:00:00Z")
    client.audit.verify().ok
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, **filters: Any) -> list[AuditRecord]:
        """Records matching ``AuditFilter``'s fields (actor, action, resource, workspace,
        outcome, since, until, limit), newest first."""
        params = AuditFilter(**filters).model_dump(mode="json", exclude_none=True)
        answer = self._client.request("GET", "/audit", params=params)
        return [AuditRecord.model_validate(r) for r in answer]

    def verify(self) -> AuditVerification:
        return AuditVerification.model_validate(self._client.request("GET", "/audit/verify"))
