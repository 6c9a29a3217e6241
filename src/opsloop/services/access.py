"""The authoriser of ``opsloop server``, and who the caller is (``whoami``).

Each decision checks, in order: the token's scope (``security.authorization``), then the
principal's role assignments, its own and its groups'. Until the built-in roles land, the
assignments read are platform ``Owner`` ones: administering identities (principals, groups,
tokens, role assignments) takes a platform owner, and any other action is open to every
authenticated, enabled principal. Background work (the system actor) is not restricted.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.schemas.access import Identity
from opsloop.security.actor import Actor
from opsloop.security.authorization import check_token_scope, denied
from opsloop.services.context import ServiceContext
from opsloop.services.principals import OWNER, PLATFORM_SCOPE
from opsloop.store.access_tables import GroupMemberRow, PrincipalRow, RoleAssignmentRow

# The resource types whose actions administer identities and access.
_IDENTITY_RESOURCES = ("principals", "groups", "role-assignments")


class PlatformAuthorizer:
    """Token scope, then role assignments, read in the call's own transaction."""

    def authorize(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        workspace: str | None,
        target: str | None = None,
    ) -> None:
        if actor.kind == "system":
            return
        check_token_scope(actor, action, workspace)
        administers = action.value.split("/", 1)[0] in _IDENTITY_RESOURCES
        if administers and OWNER not in platform_roles(session, actor):
            raise denied(actor, action, "administering identities takes the platform Owner role")


def platform_roles(session: Session, actor: Actor) -> set[str]:
    """The roles ``actor`` holds at platform scope, directly or through a group."""
    if actor.principal_id is None:
        return set()
    groups = select(GroupMemberRow.group_id).where(GroupMemberRow.member_id == actor.principal_id)
    rows = session.scalars(
        select(RoleAssignmentRow.role)
        .join(PrincipalRow, PrincipalRow.id == RoleAssignmentRow.principal_id)
        .where(
            RoleAssignmentRow.scope == PLATFORM_SCOPE,
            PrincipalRow.disabled_at.is_(None),
            or_(
                RoleAssignmentRow.principal_id == actor.principal_id,
                RoleAssignmentRow.principal_id.in_(groups),
            ),
        )
    )
    return set(rows)


def whoami(ctx: ServiceContext) -> Identity:
    """Who the caller is; needs no permission beyond being authenticated."""
    actor = ctx.actor
    return Identity(
        name=actor.name,
        kind=actor.kind,
        principal=actor.name if actor.principal_id else None,
        token_id=actor.token_id,
        workspace=actor.workspace,
        read_only=actor.read_only,
        roles=sorted(platform_roles(ctx.session, actor)),
    )
