"""The authorisation hook called on every service entry point.

Access control (roles, personas, just-in-time elevation) replaces ``AllowAll`` in a later
issue; the call sites already pass what it will need: the actor, the action and the
workspace.
"""

from __future__ import annotations

from typing import Protocol

from opsloop.catalogue.actions import Action
from opsloop.security.actor import Actor


class Authorizer(Protocol):
    def authorize(self, actor: Actor, action: Action, workspace: str | None) -> None:
        """Return if ``actor`` may perform ``action``; raise PermissionDeniedError if not."""


class AllowAll:
    """Every actor may do everything (until access control lands)."""

    def authorize(self, actor: Actor, action: Action, workspace: str | None) -> None:
        return None
