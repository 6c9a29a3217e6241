"""The authorisation hook called on every service entry point, and the part of a decision
that needs no store: what an API token's scope allows.

``AllowAll`` is embedded mode's: the OS user owns its home. ``opsloop server`` uses the
store-backed authoriser in ``opsloop.services.access``, which checks the token's scope
(here) and then the principal's role assignments.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.errors import PermissionDeniedError
from opsloop.security.actor import Actor
from opsloop.security.roles import PLATFORM_SCOPE, SCOPE_FILTERED_READS, covers


class Authorizer(Protocol):
    def authorize(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        workspace: str | None,
        target: str | None = None,
    ) -> str | None:
        """Return if ``actor`` may perform ``action`` on ``target`` in ``workspace`` (None:
        a platform-level action); raise ``PermissionDeniedError`` (see ``denied``) if not.
        ``session`` is the call's transaction, for authorisers that read assignments.

        Returns the id of the just-in-time elevation whose assignment allowed the call, if
        one did (the call's audit records name it), else None."""

    def readable_scopes(
        self, session: Session, actor: Actor, action: Action
    ) -> tuple[str, ...] | None:
        """The scopes (``/workspaces/dev``, ``/workspaces/dev/online-endpoints/ep``) at
        which ``actor`` may take ``action``; None: everywhere. A platform-wide list shows
        only what lies under them (``services.visibility``)."""


class AllowAll:
    """Every actor may do everything: embedded mode, where the caller owns the home."""

    def authorize(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        workspace: str | None,
        target: str | None = None,
    ) -> str | None:
        return None

    def readable_scopes(
        self, session: Session, actor: Actor, action: Action
    ) -> tuple[str, ...] | None:
        return None


def denied(actor: Actor, action: Action, reason: str) -> PermissionDeniedError:
    """The 403 every face reports alike: who, which action, and why."""
    return PermissionDeniedError(
        f"{actor} may not {action.value}: {reason}",
        action=action.value,
        reason=reason,
        principal=str(actor),
    )


def token_scopes(actor: Actor, action: Action, scopes: list[str]) -> tuple[str, ...] | None:
    """``scopes`` (where the principal's roles allow ``action``) narrowed by the token's
    scope, as ``check_token_scope`` narrows one call; None: everywhere."""
    if actor.read_only and not action.is_read:
        return ()
    if actor.workspace is None:
        return None if PLATFORM_SCOPE in scopes else tuple(scopes)
    home = f"/workspaces/{actor.workspace}"
    # A scope over the token's workspace narrows to it; one inside it stays; others go.
    narrowed = {
        home if covers(scope, home) else scope
        for scope in scopes
        if covers(scope, home) or covers(home, scope)
    }
    return tuple(sorted(narrowed))


def check_token_scope(actor: Actor, action: Action, workspace: str | None) -> None:
    """A scoped token narrows what its principal may do: a read-only token reads, and a
    workspace token acts in that workspace only (and reads the platform-wide lists, which
    show it that workspace's part; not principals, groups or tokens)."""
    if actor.read_only and not action.is_read:
        raise denied(actor, action, "the token is read-only")
    if actor.workspace is not None and workspace != actor.workspace:
        if workspace is None and action in SCOPE_FILTERED_READS:
            return
        where = f"workspace {workspace!r}" if workspace else "the platform"
        raise denied(
            actor, action, f"the token is scoped to workspace {actor.workspace!r}, not {where}"
        )
