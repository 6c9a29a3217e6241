"""The authoriser of ``opsloop server``, and who the caller is (``whoami``).

Each decision checks, in order: the token's scope (``security.authorization``), then the
principal's role assignments, its own and its enabled groups' (``services.roles.decide``,
the same decision ``opsloop access check`` explains). Background work (the system actor)
is not restricted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.schemas.access import Identity
from opsloop.security.actor import Actor
from opsloop.security.authorization import check_token_scope, denied, token_scopes
from opsloop.security.roles import request_scope
from opsloop.services.context import ServiceContext
from opsloop.services.roles import decide, load_grants, role_definition


class PlatformAuthorizer:
    """Token scope, then role assignments, read in the call's own transaction.

    ``home_owner`` (embedded mode): a caller that is no principal is the OS user, who owns
    the home and may do everything; one that came with a token of the home holds only its
    principal's roles."""

    def __init__(self, *, home_owner: bool = False) -> None:
        self.home_owner = home_owner

    def authorize(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        workspace: str | None,
        target: str | None = None,
    ) -> str | None:
        if actor.kind == "system" or (self.home_owner and actor.principal_id is None):
            return None
        check_token_scope(actor, action, workspace)
        if actor.principal_id is None:
            raise denied(actor, action, "the caller is no principal of this platform")
        held = actor.grants
        if held is None:
            held = load_grants(session, actor.principal_id)
        decision = decide(session, actor.name, action, request_scope(workspace, target), held)
        if not decision.allowed:
            raise denied(actor, action, decision.reason)
        return decision.elevation

    def readable_scopes(
        self, session: Session, actor: Actor, action: Action
    ) -> tuple[str, ...] | None:
        if actor.kind == "system" or (self.home_owner and actor.principal_id is None):
            return None
        if actor.principal_id is None:
            return ()
        held = actor.grants
        if held is None:
            held = load_grants(session, actor.principal_id)
        scopes = [
            grant.scope
            for grant in held
            if (role := role_definition(session, grant.role)) is not None and role.allows(action)
        ]
        return token_scopes(actor, action, scopes)


def whoami(ctx: ServiceContext) -> Identity:
    """Who the caller is and the roles it holds; needs no permission beyond being
    authenticated."""
    actor = ctx.actor
    # The grants authentication read (an OIDC token's groups claim adds some), else the store's.
    held = actor.grants
    if held is None:
        held = load_grants(ctx.session, actor.principal_id) if actor.principal_id else ()
    return Identity(
        name=actor.name,
        kind=actor.kind,
        principal=actor.name if actor.principal_id else None,
        token_id=actor.token_id,
        workspace=actor.workspace,
        read_only=actor.read_only,
        roles=[
            f"{role} at {scope}" + (f" (group {group})" if group else "")
            for role, scope, group, *_ in held
        ],
    )
