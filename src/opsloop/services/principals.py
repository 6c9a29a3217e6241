"""Principals: users, service principals and groups, and the first platform owner.

A principal is never deleted, only disabled: audit records and ``created_by`` columns keep
naming it, and a disabled principal's tokens stop working at once (authentication reads
``disabled_at`` on every request)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from opsloop.catalogue.access_events import (
    GroupCreated,
    GroupMembershipChanged,
    PrincipalCreated,
    PrincipalDisabled,
    PrincipalUpdated,
    RoleAssigned,
)
from opsloop.catalogue.actions import Action
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.access import CreatedToken, Group, Principal
from opsloop.schemas.update_requests import PrincipalUpdate
from opsloop.security.roles import PLATFORM_SCOPE
from opsloop.services.context import ServiceContext
from opsloop.services.field_updates import update_fields
from opsloop.specs.access import BootstrapSpec, GroupMemberSpec, GroupSpec, PrincipalSpec
from opsloop.store.access_tables import GroupMemberRow, PrincipalRow, RoleAssignmentRow

GROUP = "group"
OWNER = "Owner"


def create_principal(ctx: ServiceContext, spec: PrincipalSpec) -> Principal:
    ctx.begin_mutation(Action.PRINCIPALS_WRITE, None, f"principal:{spec.name}")
    row = _add(ctx, spec.name, spec.kind, spec.display_name, spec.description)
    ctx.record(
        Action.PRINCIPALS_WRITE,
        workspace=None,
        target=f"principal:{spec.name}",
        event=PrincipalCreated(kind=spec.kind),
    )
    return to_principal(ctx, row)


def get_principal(ctx: ServiceContext, name: str) -> Principal:
    ctx.authorize(Action.PRINCIPALS_READ, None, f"principal:{name}")
    return to_principal(ctx, require_principal_row(ctx, name, groups=False))


def list_principals(ctx: ServiceContext, kind: str | None = None) -> list[Principal]:
    ctx.authorize(Action.PRINCIPALS_READ, None)
    query = select(PrincipalRow).where(PrincipalRow.kind != GROUP).order_by(PrincipalRow.name)
    if kind is not None:
        query = query.where(PrincipalRow.kind == kind)
    return [to_principal(ctx, row) for row in ctx.session.scalars(query)]


def update_principal(ctx: ServiceContext, name: str, update: PrincipalUpdate) -> Principal:
    """Change a user's or service principal's display name or description; its kind and
    name never change (tokens, assignments and audit records name it)."""
    ctx.begin_mutation(Action.PRINCIPALS_WRITE, None, f"principal:{name}")
    row = require_principal_row(ctx, name, groups=False)
    update_fields(
        ctx, row, update.changes(), Action.PRINCIPALS_WRITE,
        workspace=None, target=f"principal:{name}", event=PrincipalUpdated,
    )  # fmt: skip
    return to_principal(ctx, row)


def disable_principal(ctx: ServiceContext, name: str) -> Principal:
    ctx.begin_mutation(Action.PRINCIPALS_DISABLE, None, f"principal:{name}")
    row = require_principal_row(ctx, name, groups=False)
    if ctx.actor.principal_id == row.id:
        raise ValidationError("a principal cannot disable itself", field="name")
    if row.disabled_at is None:
        row.disabled_at = datetime.now(UTC)
        ctx.record(
            Action.PRINCIPALS_DISABLE,
            workspace=None,
            target=f"principal:{name}",
            event=PrincipalDisabled(),
        )
    return to_principal(ctx, row)


def create_group(ctx: ServiceContext, spec: GroupSpec) -> Group:
    ctx.begin_mutation(Action.GROUPS_WRITE, None, f"group:{spec.name}")
    row = _add(ctx, spec.name, GROUP, spec.display_name, spec.description)
    ctx.record(
        Action.GROUPS_WRITE, workspace=None, target=f"group:{spec.name}", event=GroupCreated()
    )
    return to_group(ctx, row)


def list_groups(ctx: ServiceContext) -> list[Group]:
    ctx.authorize(Action.GROUPS_READ, None)
    rows = ctx.session.scalars(
        select(PrincipalRow).where(PrincipalRow.kind == GROUP).order_by(PrincipalRow.name)
    )
    return [to_group(ctx, row) for row in rows]


def get_group(ctx: ServiceContext, name: str) -> Group:
    ctx.authorize(Action.GROUPS_READ, None, f"group:{name}")
    return to_group(ctx, _require_group(ctx, name))


def add_member(ctx: ServiceContext, group: str, spec: GroupMemberSpec) -> Group:
    ctx.begin_mutation(Action.GROUPS_WRITE, None, f"group:{group}")
    group_row = _require_group(ctx, group)
    member = require_principal_row(ctx, spec.principal, groups=False, field="principal")
    if ctx.session.get(GroupMemberRow, (group_row.id, member.id)) is None:
        ctx.session.add(
            GroupMemberRow(group_id=group_row.id, member_id=member.id, added_by=str(ctx.actor))
        )
        ctx.session.flush()
        ctx.record(
            Action.GROUPS_WRITE,
            workspace=None,
            target=f"group:{group}",
            event=GroupMembershipChanged(member=member.name, change="added"),
        )
    return to_group(ctx, group_row)


def remove_member(ctx: ServiceContext, group: str, principal: str) -> Group:
    ctx.begin_mutation(Action.GROUPS_WRITE, None, f"group:{group}")
    group_row = _require_group(ctx, group)
    member = require_principal_row(ctx, principal, groups=False, field="principal")
    link = ctx.session.get(GroupMemberRow, (group_row.id, member.id))
    if link is None:
        raise NotFoundError(f"{principal!r} is not a member of group {group!r}")
    ctx.session.delete(link)
    ctx.session.flush()
    ctx.record(
        Action.GROUPS_WRITE,
        workspace=None,
        target=f"group:{group}",
        event=GroupMembershipChanged(member=member.name, change="removed"),
    )
    return to_group(ctx, group_row)


def bootstrap_owner(ctx: ServiceContext, spec: BootstrapSpec) -> CreatedToken:
    """The first platform owner and its first token, on a store that has no owner yet.
    There is no default password: whoever can reach the store (the server's first start,
    ``opsloop admin bootstrap``) makes the owner, and the token is shown once."""
    from opsloop.services.tokens import issue_token  # tokens build on principals

    ctx.begin_mutation(Action.PRINCIPALS_WRITE, None, f"principal:{spec.name}")
    if has_platform_owner(ctx):
        raise ConflictError(
            "the platform has an owner already; an owner makes more tokens with "
            "`opsloop token create`"
        )
    row = _add(ctx, spec.name, "user", "Platform owner", None)
    ctx.record(
        Action.PRINCIPALS_WRITE,
        workspace=None,
        target=f"principal:{spec.name}",
        event=PrincipalCreated(kind="user"),
    )
    ctx.session.add(
        RoleAssignmentRow(
            principal_id=row.id, role=OWNER, scope=PLATFORM_SCOPE, created_by=str(ctx.actor)
        )
    )
    ctx.record(
        Action.ROLE_ASSIGNMENTS_WRITE,
        workspace=None,
        target=f"principal:{spec.name}",
        event=RoleAssigned(principal=spec.name, role=OWNER, scope=PLATFORM_SCOPE),
    )
    return issue_token(ctx, row, name="bootstrap", expires_at=None, workspace=None, read_only=False)


def has_platform_owner(ctx: ServiceContext) -> bool:
    return (
        ctx.session.scalar(
            select(RoleAssignmentRow.id).where(
                RoleAssignmentRow.role == OWNER, RoleAssignmentRow.scope == PLATFORM_SCOPE
            )
        )
        is not None
    )


def require_principal_row(
    ctx: ServiceContext, name: str, *, groups: bool, field: str = "name"
) -> PrincipalRow:
    """The principal ``name`` names; one named in a request body (``field``) that does not
    exist is the body's error, one named in the path is not found."""
    row = ctx.session.scalar(select(PrincipalRow).where(PrincipalRow.name == name))
    if row is None or (row.kind == GROUP and not groups):
        if field != "name":
            raise ValidationError(f"principal {name!r} does not exist", field=field)
        raise NotFoundError(f"principal {name!r} not found")
    return row


def _require_group(ctx: ServiceContext, name: str) -> PrincipalRow:
    row = ctx.session.scalar(select(PrincipalRow).where(PrincipalRow.name == name))
    if row is None or row.kind != GROUP:
        raise NotFoundError(f"group {name!r} not found")
    return row


def _add(
    ctx: ServiceContext, name: str, kind: str, display_name: str | None, description: str | None
) -> PrincipalRow:
    # Users, service principals and groups share one namespace: a role assignment or a
    # token names one of them without saying which kind.
    existing = ctx.session.scalar(select(PrincipalRow.kind).where(PrincipalRow.name == name))
    if existing is not None:
        noun = "group" if existing == GROUP else "principal"
        raise ConflictError(f"a {noun} named {name!r} exists already")
    row = PrincipalRow(
        name=name,
        kind=kind,
        display_name=display_name,
        description=description,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def to_principal(ctx: ServiceContext, row: PrincipalRow) -> Principal:
    groups = _linked_names(ctx, GroupMemberRow.group_id, GroupMemberRow.member_id, row.id)
    return Principal(
        name=row.name,
        kind=row.kind,
        display_name=row.display_name,
        description=row.description,
        disabled=row.disabled_at is not None,
        disabled_at=row.disabled_at,
        groups=groups,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def to_group(ctx: ServiceContext, row: PrincipalRow) -> Group:
    members = _linked_names(ctx, GroupMemberRow.member_id, GroupMemberRow.group_id, row.id)
    return Group(
        name=row.name,
        display_name=row.display_name,
        description=row.description,
        members=members,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _linked_names(
    ctx: ServiceContext, named: InstrumentedAttribute[str], by: InstrumentedAttribute[str], key: str
) -> list[str]:
    """The names of the principals on one side of group membership (a principal's groups,
    or a group's members), sorted."""
    rows = ctx.session.scalars(
        select(PrincipalRow.name)
        .join(GroupMemberRow, named == PrincipalRow.id)
        .where(by == key)
        .order_by(PrincipalRow.name)
    )
    return list(rows)
