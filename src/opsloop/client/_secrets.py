"""``client.secrets``: a workspace's secrets vault."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsloop.schemas.vault import Secret, SecretValue

if TYPE_CHECKING:
    from opsloop.client._client import Client


class SecretOperations:
    """Set, read, list and delete a workspace's secrets::

    client.secrets.set("DB_PASSWORD", "s3cr3t", workspace="dev")
    client.secrets.get("DB_PASSWORD").value       # Key Vault Reader, Administrator or Owner
    [s.name for s in client.secrets.list()]        # names and versions, never values

    Jobs and deployments use one as ``${{secrets.DB_PASSWORD}}``.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def _path(self, workspace: str | None, name: str | None = None) -> str:
        base = f"/workspaces/{self._client.workspace_name(workspace)}/secrets"
        return f"{base}/{name}" if name is not None else base

    def set(self, name: str, value: str, *, workspace: str | None = None) -> Secret:
        """Create the secret or give it a new value (a new version)."""
        answer = self._client.request("PUT", self._path(workspace, name), json={"value": value})
        return Secret.model_validate(answer)

    def get(self, name: str, *, workspace: str | None = None) -> SecretValue:
        """The secret's value (the read is audited)."""
        answer = self._client.request("GET", f"{self._path(workspace, name)}/value")
        return SecretValue.model_validate(answer)

    def show(self, name: str, *, workspace: str | None = None) -> Secret:
        """The secret's name, version and who set it when; not its value."""
        return Secret.model_validate(self._client.request("GET", self._path(workspace, name)))

    def list(self, *, workspace: str | None = None) -> list[Secret]:
        return [
            Secret.model_validate(s) for s in self._client.request("GET", self._path(workspace))
        ]

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        self._client.request("DELETE", self._path(workspace, name))
