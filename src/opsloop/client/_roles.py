"""``client.roles`` and ``client.role_assignments``: who may do what, where."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsloop.schemas.access import AccessDecision, Role, RoleAssignment

if TYPE_CHECKING:
    from opsloop.client._client import Client


class RoleOperations:
    """Built-in and custom roles::

    client.roles.create(file="model-tester.yml")
    client.roles.check("alice", "jobs/write", "/workspaces/dev")
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[Role]:
        return [Role.model_validate(r) for r in self._client.request("GET", "/roles")]

    def get(self, name: str) -> Role:
        return Role.model_validate(self._client.request("GET", f"/roles/{name}"))

    def create(self, spec: Any = None, *, file: str | Path | None = None) -> Role:
        """A custom role from a YAML file (checked here, naming file and line) or a mapping."""
        from opsloop.client._resources import build_spec
        from opsloop.specs.access import RoleSpec

        data, _ = build_spec(RoleSpec, spec, file=file)
        return Role.model_validate(self._client.request("POST", "/roles", json=data))

    def check(self, principal: str, action: str, resource: str) -> AccessDecision:
        """Whether ``principal`` may take ``action`` at ``resource`` (a scope), and why."""
        params = {"principal": principal, "action": action, "resource": resource}
        answer = self._client.request("GET", "/access/check", params=params)
        return AccessDecision.model_validate(answer)


class RoleAssignmentOperations:
    """Roles held by principals and groups at a scope::

    client.role_assignments.create("alice", "Data Scientist", scope="/workspaces/dev")
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, principal: str, role: str, *, scope: str = "/") -> RoleAssignment:
        body = {"principal": principal, "role": role, "scope": scope}
        answer = self._client.request("POST", "/role-assignments", json=body)
        return RoleAssignment.model_validate(answer)

    def list(
        self, *, principal: str | None = None, scope: str | None = None
    ) -> list[RoleAssignment]:
        params = {k: v for k, v in (("principal", principal), ("scope", scope)) if v}
        answer = self._client.request("GET", "/role-assignments", params=params or None)
        return [RoleAssignment.model_validate(a) for a in answer]

    def delete(self, assignment_id: str) -> None:
        self._client.request("DELETE", f"/role-assignments/{assignment_id}")
