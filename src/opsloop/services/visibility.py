"""What a platform-wide list shows a caller: what lies under the scopes where it may read
such things (``Authorizer.readable_scopes``). A Reader of workspace ``dev`` lists workspace
``dev``, its events, audit records, event subscriptions and role assignments, and nothing
of ``prod`` nor of the platform itself (principals' events, platform-level assignments).
Embedded mode and background work see everything."""

from __future__ import annotations

from collections.abc import Iterable

from opsloop.catalogue.actions import Action
from opsloop.security.authorization import denied
from opsloop.security.roles import covers, scope_workspace
from opsloop.services.context import ServiceContext


def readable_scopes(ctx: ServiceContext, action: Action) -> tuple[str, ...] | None:
    """The scopes where the caller may take ``action``; None: everywhere."""
    return ctx.platform.authorizer.readable_scopes(ctx.session, ctx.actor, action)


def readable_workspaces(
    ctx: ServiceContext, action: Action, *, whole: bool = True
) -> frozenset[str] | None:
    """The workspaces whose records of ``action``'s kind the caller may list (None: all):
    those where it holds ``action`` over the whole workspace, or, when not ``whole``, on
    anything in it (someone who may read one endpoint sees that its workspace exists)."""
    scopes = readable_scopes(ctx, action)
    if scopes is None:
        return None
    found = set()
    for scope in scopes:
        workspace = scope_workspace(scope)
        if workspace is not None and (not whole or scope == f"/workspaces/{workspace}"):
            found.add(workspace)
    return frozenset(found)


def require_readable(ctx: ServiceContext, action: Action, scope: str) -> None:
    """Deny (403, audited) reading one thing at ``scope`` that a platform-wide list would
    not show the caller."""
    scopes = readable_scopes(ctx, action)
    if not within(scopes, scope):
        ctx.attempted.append((action, scope_workspace(scope), None))
        held = ", ".join(scopes or ()) or "nowhere"
        raise denied(
            ctx.actor, action, f"{action.value} is held at {held}, which does not cover {scope}"
        )


def within(scopes: Iterable[str] | None, scope: str) -> bool:
    """Whether ``scope`` lies under one of ``scopes`` (None: everywhere)."""
    return scopes is None or any(covers(where, scope) for where in scopes)
