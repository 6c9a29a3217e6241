"""Persona templates: list and show the reference tables, and apply a persona's template to
a principal in a workspace as role assignments (or, for a just-in-time persona, as roles it
is eligible for)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.elevation_events import PersonaAssigned
from opsloop.errors import NotFoundError, ValidationError
from opsloop.schemas.personas import Persona, PersonaAssignment, PersonaCell, PersonaTemplate
from opsloop.security import personas as tables
from opsloop.services.context import ServiceContext
from opsloop.services.principals import require_principal_row
from opsloop.services.roles import assignment_entity
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.personas import PersonaAssignSpec
from opsloop.store.access_tables import RoleAssignmentRow
from opsloop.store.elevation_tables import RoleEligibilityRow


def list_personas(ctx: ServiceContext) -> list[Persona]:
    ctx.authorize(Action.ROLES_READ, None)
    return [_persona(p) for p in tables.tables().personas]


def get_persona(ctx: ServiceContext, name: str) -> Persona:
    ctx.authorize(Action.ROLES_READ, None)
    return _persona(require_persona(name))


def require_persona(name: str, field: str | None = None) -> tables.Persona:
    found = tables.find_persona(name)
    if found is None:
        known = ", ".join(p.id for p in tables.tables().personas)
        message = f"persona {name!r} does not exist (one of: {known})"
        if field:
            raise ValidationError(message, field=field)
        raise NotFoundError(message)
    return found


def assign_persona(ctx: ServiceContext, name: str, spec: PersonaAssignSpec) -> PersonaAssignment:
    """Give ``spec.principal`` the roles ``name``'s template holds in a workspace of
    ``spec.workspace``'s kind, each at the workspace's scope. Idempotent: roles the
    principal holds there already are left as they are (``unchanged``)."""
    scope = f"/workspaces/{spec.workspace}"
    target = f"persona:{name}"
    ctx.begin_mutation(Action.ROLE_ASSIGNMENTS_WRITE, spec.workspace, target)
    persona = require_persona(name)
    workspace = require_workspace_row(ctx, spec.workspace)
    kind = cast(tables.WorkspaceKind, workspace.kind)
    principal = require_principal_row(ctx, spec.principal, groups=True, field="principal")
    held = _held(ctx, RoleAssignmentRow, principal.id, scope)
    eligible_already = _held(ctx, RoleEligibilityRow, principal.id, scope)
    done = PersonaAssignment(
        persona=persona.id,
        principal=principal.name,
        workspace=spec.workspace,
        kind=kind,
        access=_access(persona.id, kind),
    )
    eligible = done.access == "just-in-time"
    for role in dict.fromkeys(r.role for r in tables.template(persona.id, kind)):
        if role in (eligible_already if eligible else held):
            done.unchanged.append(role)
        elif eligible:
            ctx.session.add(
                RoleEligibilityRow(
                    principal_id=principal.id,
                    role=role,
                    scope=scope,
                    persona=persona.id,
                    created_by=str(ctx.actor),
                )
            )
            done.eligible.append(role)
        else:
            row = RoleAssignmentRow(
                principal_id=principal.id,
                role=role,
                scope=scope,
                persona=persona.id,
                created_by=str(ctx.actor),
            )
            ctx.session.add(row)
            ctx.session.flush()
            done.assigned.append(assignment_entity(row, principal))
    if done.assigned or done.eligible:
        ctx.session.flush()
        ctx.record(
            Action.ROLE_ASSIGNMENTS_WRITE,
            workspace=spec.workspace,
            target=f"principal:{principal.name}",
            event=PersonaAssigned(
                principal=principal.name,
                persona=persona.id,
                kind=kind,
                assigned=[a.role for a in done.assigned],
                eligible=done.eligible,
            ),
        )
    return done


def _held(
    ctx: ServiceContext,
    table: type[RoleAssignmentRow] | type[RoleEligibilityRow],
    principal_id: str,
    scope: str,
) -> set[str]:
    # Expired elevations are left out: the persona's standing role replaces them.
    query = select(table.role).where(table.principal_id == principal_id, table.scope == scope)
    if table is RoleAssignmentRow:
        query = query.where(RoleAssignmentRow.elevation_id.is_(None))
    return set(ctx.session.scalars(query))


def _access(persona_id: str, kind: tables.WorkspaceKind) -> str:
    return "just-in-time" if persona_id in tables.tables().kinds[kind].just_in_time else "standing"


def _persona(persona: tables.Persona) -> Persona:
    data = tables.tables()
    templates = []
    for kind in tables.KINDS:
        held = tables.template(persona.id, kind)
        cells = [
            PersonaCell(
                family=family.id,
                family_title=family.title,
                article_column=family.article_column,
                codes=[r.code for r in held if r.family == family.id],
                roles=[r.role for r in held if r.family == family.id],
            )
            for family in data.families
            if any(r.family == family.id for r in held)
        ]
        templates.append(PersonaTemplate(kind=kind, access=_access(persona.id, kind), cells=cells))
    return Persona(
        id=persona.id,
        title=persona.title,
        type=persona.type,
        description=persona.description,
        aliases=list(persona.aliases),
        templates=templates,
        source=f"{data.source.title}: {data.source.url}",
    )
