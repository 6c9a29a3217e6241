"""``client.principals``, ``client.groups``, ``client.tokens``: who may call a server."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from opsloop.schemas.access import ApiToken, CreatedToken, Group, Identity, Principal

if TYPE_CHECKING:
    from opsloop.client._client import Client


class PrincipalOperations:
    """Users and service principals::

    client.principals.create("ci", kind="service_principal")
    client.principals.disable("ci")   # its tokens stop working at once
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        name: str,
        *,
        kind: str = "user",
        display_name: str | None = None,
        description: str | None = None,
    ) -> Principal:
        body = {
            "name": name,
            "kind": kind,
            "display_name": display_name,
            "description": description,
        }
        return Principal.model_validate(self._client.request("POST", "/principals", json=body))

    def list(self, *, kind: str | None = None) -> list[Principal]:
        params = {"kind": kind} if kind else None
        answer = self._client.request("GET", "/principals", params=params)
        return [Principal.model_validate(item) for item in answer]

    def get(self, name: str) -> Principal:
        return Principal.model_validate(self._client.request("GET", f"/principals/{name}"))

    def update(self, name: str, **fields: str | None) -> Principal:
        """Change ``display_name`` or ``description`` (those given; None clears); a
        principal's kind never changes::

        client.principals.update("ci", description="GitHub Actions")
        """
        answer = self._client.request("PATCH", f"/principals/{name}", json=fields)
        return Principal.model_validate(answer)

    def disable(self, name: str) -> Principal:
        answer = self._client.request("POST", f"/principals/{name}/disable")
        return Principal.model_validate(answer)

    def whoami(self) -> Identity:
        """Who the server takes this client for (the embedded client is the OS user)."""
        return Identity.model_validate(self._client.request("GET", "/whoami"))

    def bootstrap(self, name: str = "admin") -> CreatedToken:
        """The first platform owner of an empty store and its token, shown once."""
        answer = self._client.request("POST", "/bootstrap", json={"name": name})
        return CreatedToken.model_validate(answer)


class GroupOperations:
    """Groups of principals; a role assigned to a group is held by its members::

    client.groups.create("data-scientists")
    client.groups.add_member("data-scientists", "alice")
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self, name: str, *, display_name: str | None = None, description: str | None = None
    ) -> Group:
        body = {"name": name, "display_name": display_name, "description": description}
        return Group.model_validate(self._client.request("POST", "/groups", json=body))

    def list(self) -> list[Group]:
        return [Group.model_validate(g) for g in self._client.request("GET", "/groups")]

    def get(self, name: str) -> Group:
        return Group.model_validate(self._client.request("GET", f"/groups/{name}"))

    def add_member(self, group: str, principal: str) -> Group:
        answer = self._client.request(
            "POST", f"/groups/{group}/members", json={"principal": principal}
        )
        return Group.model_validate(answer)

    def remove_member(self, group: str, principal: str) -> Group:
        answer = self._client.request("DELETE", f"/groups/{group}/members/{principal}")
        return Group.model_validate(answer)


class TokenOperations:
    """API tokens: the secret is in the answer to ``create`` and nowhere else::

    token = client.tokens.create("ci", expires_in_days=90, workspace="prod")
    client.tokens.revoke(token.id)   # refused on the next call
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        principal: str,
        *,
        name: str = "token",
        expires_at: datetime | None = None,
        expires_in_days: float | None = None,
        workspace: str | None = None,
        read_only: bool = False,
    ) -> CreatedToken:
        body: dict[str, Any] = {
            "principal": principal,
            "name": name,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "expires_in_days": expires_in_days,
            "workspace": workspace,
            "read_only": read_only,
        }
        return CreatedToken.model_validate(self._client.request("POST", "/tokens", json=body))

    def list(self, *, principal: str | None = None) -> list[ApiToken]:
        params = {"principal": principal} if principal else None
        answer = self._client.request("GET", "/tokens", params=params)
        return [ApiToken.model_validate(item) for item in answer]

    def revoke(self, token_id: str) -> ApiToken:
        answer = self._client.request("POST", f"/tokens/{token_id}/revoke")
        return ApiToken.model_validate(answer)
