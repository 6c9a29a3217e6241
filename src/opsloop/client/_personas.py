"""``client.personas`` and ``client.elevations``: persona templates and just-in-time
elevation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsloop.schemas.personas import Elevation, Persona, PersonaAssignment

if TYPE_CHECKING:
    from opsloop.client._client import Client


class PersonaOperations:
    """The reference architecture's persona templates::

    client.personas.assign("project_lead", "lena", workspace="prod")
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[Persona]:
        return [Persona.model_validate(p) for p in self._client.request("GET", "/personas")]

    def get(self, name: str) -> Persona:
        return Persona.model_validate(self._client.request("GET", f"/personas/{name}"))

    def assign(
        self, persona: str, principal: str, *, workspace: str, dry_run: bool = False
    ) -> PersonaAssignment:
        """Give ``principal`` the roles ``persona`` holds in a workspace of ``workspace``'s
        kind (or make it eligible for them, for a just-in-time persona). Idempotent. With
        ``dry_run``: what it would assign or make eligible, writing nothing."""
        body = {"principal": principal, "workspace": workspace}
        params = {"dry_run": "true"} if dry_run else None
        answer = self._client.request(
            "POST", f"/personas/{persona}/assignments", json=body, params=params
        )
        return PersonaAssignment.model_validate(answer)


class ElevationOperations:
    """Just-in-time elevation::

    asked = client.elevations.request("Owner", workspace="prod", duration="2h", reason="...")
    other_owner_client.elevations.approve(asked.id)
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def request(
        self,
        role: str,
        *,
        workspace: str,
        duration: str | float,
        reason: str,
        ticket: str | None = None,
    ) -> Elevation:
        body = {
            "role": role,
            "workspace": workspace,
            "duration": duration,
            "reason": reason,
            "ticket": ticket,
        }
        return Elevation.model_validate(self._client.request("POST", "/elevations", json=body))

    def list(self, *, workspace: str | None = None, status: str | None = None) -> list[Elevation]:
        params = {k: v for k, v in (("workspace", workspace), ("status", status)) if v}
        answer = self._client.request("GET", "/elevations", params=params or None)
        return [Elevation.model_validate(e) for e in answer]

    def get(self, elevation_id: str) -> Elevation:
        return Elevation.model_validate(self._client.request("GET", f"/elevations/{elevation_id}"))

    def approve(self, elevation_id: str, *, comment: str | None = None) -> Elevation:
        answer = self._client.request(
            "POST", f"/elevations/{elevation_id}/approve", json={"comment": comment}
        )
        return Elevation.model_validate(answer)

    def reject(self, elevation_id: str, *, comment: str) -> Elevation:
        answer = self._client.request(
            "POST", f"/elevations/{elevation_id}/reject", json={"comment": comment}
        )
        return Elevation.model_validate(answer)
