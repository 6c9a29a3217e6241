"""Roles, role assignments, and access decisions (``opsloop access check`` explains the
same decision the server's authoriser takes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

from opsloop.catalogue.access_events import CustomRoleCreated, RoleAssigned, RoleUnassigned
from opsloop.catalogue.actions import Action
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.access import AccessDecision, Role, RoleAssignment
from opsloop.security.actor import Grant
from opsloop.security.personas import family_role
from opsloop.security.roles import (
    BUILT_IN_ROLES,
    PLATFORM_SCOPE,
    SCOPE_FILTERED_READS,
    RoleDefinition,
    covers,
    scope_workspace,
    valid_scope,
)
from opsloop.services.context import ServiceContext
from opsloop.services.principals import require_principal_row
from opsloop.services.visibility import readable_scopes, require_readable, within
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.access import RoleAssignmentSpec, RoleSpec
from opsloop.store.access_tables import (
    CustomRoleRow,
    GroupMemberRow,
    PrincipalRow,
    RoleAssignmentRow,
)
from opsloop.store.tables import UTCDateTime


def list_roles(ctx: ServiceContext) -> list[Role]:
    ctx.authorize(Action.ROLES_READ, None)
    custom = ctx.session.scalars(select(CustomRoleRow).order_by(CustomRoleRow.name))
    return [_role(r) for r in BUILT_IN_ROLES.values()] + [_role(_definition(r)) for r in custom]


def get_role(ctx: ServiceContext, name: str) -> Role:
    ctx.authorize(Action.ROLES_READ, None)
    role = role_definition(ctx.session, name)
    if role is None:
        raise NotFoundError(f"role {name!r} not found (opsloop role list)")
    return _role(role)


def create_role(ctx: ServiceContext, spec: RoleSpec) -> Role:
    ctx.begin_mutation(Action.ROLES_WRITE, None, f"role:{spec.name}")
    if role_definition(ctx.session, spec.name) is not None:
        raise ConflictError(f"a role named {spec.name!r} exists already")
    row = CustomRoleRow(
        name=spec.name,
        description=spec.description,
        actions=spec.actions,
        not_actions=spec.not_actions,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.ROLES_WRITE,
        workspace=None,
        target=f"role:{spec.name}",
        event=CustomRoleCreated(actions=spec.actions, not_actions=spec.not_actions),
    )
    return _role(_definition(row))


def create_assignment(ctx: ServiceContext, spec: RoleAssignmentSpec) -> RoleAssignment:
    workspace = scope_workspace(spec.scope)
    ctx.begin_mutation(Action.ROLE_ASSIGNMENTS_WRITE, workspace, f"role-assignment:{spec.role}")
    _check_scope(ctx, spec.scope)
    if role_definition(ctx.session, spec.role) is None:
        raise ValidationError(
            f"role {spec.role!r} does not exist (opsloop role list)", field="role"
        )
    principal = require_principal_row(ctx, spec.principal, groups=True, field="principal")
    duplicate = ctx.session.scalar(
        select(RoleAssignmentRow.id).where(
            RoleAssignmentRow.principal_id == principal.id,
            RoleAssignmentRow.role == spec.role,
            RoleAssignmentRow.scope == spec.scope,
        )
    )
    if duplicate is not None:
        raise ConflictError(
            f"{spec.principal!r} holds {spec.role!r} at {spec.scope} already ({duplicate})"
        )
    row = RoleAssignmentRow(
        principal_id=principal.id, role=spec.role, scope=spec.scope, created_by=str(ctx.actor)
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.ROLE_ASSIGNMENTS_WRITE,
        workspace=workspace,
        target=f"principal:{principal.name}",
        event=RoleAssigned(principal=principal.name, role=spec.role, scope=spec.scope),
    )
    return assignment_entity(row, principal)


def list_assignments(
    ctx: ServiceContext, principal: str | None = None, scope: str | None = None
) -> list[RoleAssignment]:
    ctx.authorize(Action.ROLE_ASSIGNMENTS_READ, scope_workspace(scope) if scope else None)
    query = (
        select(RoleAssignmentRow, PrincipalRow)
        .join(PrincipalRow, PrincipalRow.id == RoleAssignmentRow.principal_id)
        .order_by(RoleAssignmentRow.scope, PrincipalRow.name, RoleAssignmentRow.role)
    )
    if principal is not None:
        row = require_principal_row(ctx, principal, groups=True, field="principal")
        query = query.where(RoleAssignmentRow.principal_id == row.id)
    if scope is not None:
        query = query.where(RoleAssignmentRow.scope == scope)
    # The assignments at or under the caller's scopes only: a workspace's owner sees who may
    # do what there, not at the platform or in other workspaces.
    scopes = readable_scopes(ctx, Action.ROLE_ASSIGNMENTS_READ)
    rows = ctx.session.execute(query).tuples()
    return [assignment_entity(a, p) for a, p in rows if within(scopes, a.scope)]


def delete_assignment(ctx: ServiceContext, assignment_id: str) -> None:
    row = ctx.session.get(RoleAssignmentRow, assignment_id)
    workspace = scope_workspace(row.scope) if row else None
    target = f"role-assignment:{row.role if row else assignment_id}"
    ctx.begin_mutation(Action.ROLE_ASSIGNMENTS_DELETE, workspace, target)
    if row is None:
        raise NotFoundError(f"role assignment {assignment_id!r} not found")
    principal = ctx.session.get_one(PrincipalRow, row.principal_id)
    if row.role == "Owner" and row.scope == PLATFORM_SCOPE and not _other_platform_owners(ctx, row):
        raise ConflictError(
            f"{principal.name} holds the platform's last Owner assignment: assign Owner at "
            "scope / to another principal first, or no one could administer the platform"
        )
    ctx.session.delete(row)
    ctx.record(
        Action.ROLE_ASSIGNMENTS_DELETE,
        workspace=workspace,
        target=f"principal:{principal.name}",
        event=RoleUnassigned(principal=principal.name, role=row.role, scope=row.scope),
    )


def _other_platform_owners(ctx: ServiceContext, row: RoleAssignmentRow) -> bool:
    """Whether an enabled principal other than ``row``'s holds Owner at the platform."""
    others = ctx.session.scalars(
        select(RoleAssignmentRow.id)
        .join(PrincipalRow, PrincipalRow.id == RoleAssignmentRow.principal_id)
        .where(
            RoleAssignmentRow.role == "Owner",
            RoleAssignmentRow.scope == PLATFORM_SCOPE,
            RoleAssignmentRow.id != row.id,
            PrincipalRow.disabled_at.is_(None),
        )
        .limit(1)
    )
    return others.first() is not None


def check_access(ctx: ServiceContext, principal: str, action: str, resource: str) -> AccessDecision:
    """Explain whether ``principal`` may take ``action`` at ``resource`` (a scope path)."""
    ctx.authorize(Action.ROLE_ASSIGNMENTS_READ, scope_workspace(resource))
    try:
        declared = Action(action)
    except ValueError:
        raise ValidationError(f"{action!r} is not a declared action", field="action") from None
    if not valid_scope(resource):
        raise ValidationError(_SCOPE_HELP, field="resource")
    require_readable(ctx, Action.ROLE_ASSIGNMENTS_READ, resource)
    row = require_principal_row(ctx, principal, groups=True, field="principal")
    return decide(ctx.session, row.name, declared, resource, load_grants(ctx.session, row.id))


def decide(
    session: Session,
    principal: str,
    action: Action,
    scope: str,
    held: Sequence[Grant],
) -> AccessDecision:
    """The decision on ``action`` at ``scope`` given the ``held`` grants (``load_grants``):
    the first (the principal's own, then its groups') whose scope covers ``scope`` and
    whose role allows ``action``. ``session`` reads custom roles' definitions."""
    decision = AccessDecision(
        principal=principal, action=action.value, scope=scope, allowed=False, reason=""
    )
    for grant in held:
        role = role_definition(session, grant.role)
        if role is not None and covers(grant.scope, scope) and role.allows(action):
            _allow(decision, grant, f"{_held(grant)} allows {action.value}")
            return decision
    if scope == PLATFORM_SCOPE and action in SCOPE_FILTERED_READS:
        # A platform-wide list of these is open to whoever may read such things somewhere:
        # it shows what lies under the caller's scopes (services.visibility).
        for grant in held:
            role = role_definition(session, grant.role)
            if role is not None and role.allows(action):
                _allow(
                    decision,
                    grant,
                    f"{_held(grant)} allows {action.value}; the platform-wide list shows "
                    f"what lies under {grant.scope}",
                )
                return decision
    holds = ", ".join(f"{g.role} at {g.scope}" for g in held) or "no roles"
    decision.reason = (
        f"no role assignment of {principal} allows {action.value} at {scope} (holds {holds})"
    )
    return decision


def _held(grant: Grant) -> str:
    """How a grant is held, for a decision's reason."""
    text = f"{grant.role} at {grant.scope}"
    if grant.group:
        text += f" through group {grant.group!r}"
    if grant.persona:
        text += f" (persona {grant.persona})"
    if grant.elevation:
        text += f" (elevation {grant.elevation})"
    return text


def _allow(decision: AccessDecision, grant: Grant, reason: str) -> None:
    decision.allowed, decision.role, decision.reason = True, grant.role, reason
    decision.assignment_scope, decision.via_group = grant.scope, grant.group
    decision.persona, decision.elevation = grant.persona, grant.elevation


def role_definition(session: Session, name: str) -> RoleDefinition | None:
    built_in = BUILT_IN_ROLES.get(name) or family_role(name)
    if built_in is not None:
        return built_in
    row = session.scalar(select(CustomRoleRow).where(CustomRoleRow.name == name))
    return _definition(row) if row is not None else None


def load_grants(reader: Session | Connection, principal_id: str) -> tuple[Grant, ...]:
    """The principal's live role assignments as (role, scope, group), then those of its
    enabled groups (naming the group), the most specific scope first within each. One
    query: authentication runs it with the token's lookup, outside any write lock."""
    rows = reader.execute(_GRANTS, {"principal": principal_id, "now": datetime.now(UTC)})
    held = [
        Grant(role, where, None if pid == principal_id else name, persona, elevation)
        for role, where, name, pid, persona, elevation in rows.tuples()
    ]
    return tuple(sorted(held, key=lambda g: (g.group is not None, -len(g.scope), g.role)))


# Built once: authentication runs it on every request, and building a statement costs more
# than running it.
_GRANTS = (
    select(
        RoleAssignmentRow.role,
        RoleAssignmentRow.scope,
        PrincipalRow.name,
        PrincipalRow.id,
        RoleAssignmentRow.persona,
        RoleAssignmentRow.elevation_id,
    )
    .join(PrincipalRow, PrincipalRow.id == RoleAssignmentRow.principal_id)
    .where(
        PrincipalRow.disabled_at.is_(None),
        or_(
            RoleAssignmentRow.principal_id == bindparam("principal"),
            RoleAssignmentRow.principal_id.in_(
                select(GroupMemberRow.group_id).where(
                    GroupMemberRow.member_id == bindparam("principal")
                )
            ),
        ),
        or_(
            RoleAssignmentRow.expires_at.is_(None),
            RoleAssignmentRow.expires_at > bindparam("now", type_=UTCDateTime()),
        ),
    )
)


_SCOPE_HELP = (
    "must be a scope: '/', '/workspaces/<name>', '/workspaces/<name>/<type>/<name>' "
    "(e.g. /workspaces/dev/online-endpoints/ep) or '/registries/<name>'"
)


def _check_scope(ctx: ServiceContext, scope: str) -> None:
    if not valid_scope(scope):
        raise ValidationError(_SCOPE_HELP, field="scope")
    workspace = scope_workspace(scope)
    if workspace is not None:
        try:
            require_workspace_row(ctx, workspace)
        except NotFoundError:
            raise ValidationError(
                f"workspace {workspace!r} does not exist", field="scope"
            ) from None


def _definition(row: CustomRoleRow) -> RoleDefinition:
    return RoleDefinition(
        row.name, row.description or "", tuple(row.actions), tuple(row.not_actions), False
    )


def _role(role: RoleDefinition) -> Role:
    return Role(
        name=role.name,
        description=role.description,
        built_in=role.built_in,
        actions=list(role.actions),
        not_actions=list(role.not_actions),
        allowed_actions=role.allowed_actions(),
    )


def assignment_entity(row: RoleAssignmentRow, principal: PrincipalRow) -> RoleAssignment:
    return RoleAssignment(
        id=row.id,
        principal=principal.name,
        principal_kind=principal.kind,
        role=row.role,
        scope=row.scope,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        persona=row.persona,
        elevation=row.elevation_id,
    )
