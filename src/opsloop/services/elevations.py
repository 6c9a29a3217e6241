"""Just-in-time elevation: a principal eligible for a role (through a persona whose access
is just-in-time) asks to hold it in a workspace for a while; another Owner approves or
rejects. Pending -> approved (active until ``expires_at``, then expired) | rejected.

An approval makes role assignments that carry ``expires_at`` and the request's id. The
authoriser reads only live assignments, so an elevation stops working at its expiry with
nothing to sweep; the worker's pass (``record_expiries``) only records the expiry as an
event and tidies the assignments away. Every call allowed by such an assignment is audited
with the request's id (``ServiceContext``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.elevation_events import (
    ElevationApproved,
    ElevationExpired,
    ElevationRejected,
    ElevationRequested,
)
from opsloop.config import Settings
from opsloop.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from opsloop.schemas.personas import Elevation
from opsloop.security.authorization import check_token_scope, denied
from opsloop.security.personas import family_role
from opsloop.security.roles import covers
from opsloop.services.context import ServiceContext
from opsloop.services.roles import load_grants
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.durations import duration_seconds
from opsloop.specs.personas import ElevationDecisionSpec, ElevationRequestSpec
from opsloop.store.access_tables import PrincipalRow, RoleAssignmentRow
from opsloop.store.elevation_tables import ElevationRow, RoleEligibilityRow

PENDING, APPROVED, REJECTED, EXPIRED = "pending", "approved", "rejected", "expired"


def request_elevation(ctx: ServiceContext, spec: ElevationRequestSpec) -> Elevation:
    """Ask, for the caller, to hold ``spec.role`` in ``spec.workspace``. Allowed by
    eligibility, not by a role: whoever is eligible holds no standing access there."""
    action, actor = Action.ELEVATIONS_REQUEST, ctx.actor
    # Audited (as denied or failed) when refused; no role check: see the docstring.
    ctx.attempted.append((action, spec.workspace, f"elevation:{spec.role}"))
    check_token_scope(actor, action, spec.workspace)
    if actor.principal_id is None:
        raise ValidationError(
            "an elevation is asked for by a principal (with its API token); embedded mode "
            "acts as the owner of its home and needs none",
            field="role",
        )
    require_workspace_row(ctx, spec.workspace)
    scope = f"/workspaces/{spec.workspace}"
    eligible = _eligible(ctx, actor.principal_id, scope, spec.role)
    if not eligible:
        raise denied(
            actor,
            action,
            f"{actor.name} is not eligible for {spec.role!r} at {scope}; a persona with "
            f"just-in-time access makes a principal eligible (opsloop persona assign "
            f"platform_technical_support {actor.name} -w {spec.workspace})",
        )
    seconds = duration_seconds(spec.duration)
    limit = max_duration_s(ctx.settings, spec.role, list(eligible))
    if seconds > limit:
        raise ValidationError(
            f"{spec.role} may be held for at most {_hours(limit)} (settings "
            "elevation_max_duration, elevation_role_max_durations)",
            field="duration",
        )
    row = ElevationRow(
        principal_id=actor.principal_id,
        role=spec.role,
        scope=scope,
        workspace=spec.workspace,
        duration_s=seconds,
        reason=spec.reason,
        ticket=spec.ticket,
        status=PENDING,
        roles=list(eligible),
        requested_by=str(actor),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        action,
        workspace=spec.workspace,
        target=f"elevation:{row.id}",
        event=ElevationRequested(
            elevation=row.id,
            principal=actor.name,
            role=spec.role,
            scope=scope,
            duration_s=seconds,
            reason=spec.reason,
            ticket=spec.ticket,
        ),
    )
    return _entity(row, actor.name)


def approve_elevation(
    ctx: ServiceContext, elevation_id: str, spec: ElevationDecisionSpec
) -> Elevation:
    """Another Owner lets the request's roles hold from now for its duration."""
    row, principal = _decidable(ctx, elevation_id)
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=row.duration_s)
    eligible = _eligible(ctx, row.principal_id, row.scope, row.role)
    if not eligible:
        raise ConflictError(
            f"{principal.name} is no longer eligible for {row.role!r} at {row.scope}"
        )
    granted = []
    for role, persona in eligible.items():
        existing = ctx.session.scalar(
            select(RoleAssignmentRow).where(
                RoleAssignmentRow.principal_id == row.principal_id,
                RoleAssignmentRow.role == role,
                RoleAssignmentRow.scope == row.scope,
            )
        )
        if existing is not None:
            if existing.expires_at is None or _utc(existing.expires_at) > now:
                continue  # held already, standing or under another live elevation
            ctx.session.delete(existing)  # an earlier elevation's, expired
            ctx.session.flush()
        ctx.session.add(
            RoleAssignmentRow(
                principal_id=row.principal_id,
                role=role,
                scope=row.scope,
                persona=persona,
                elevation_id=row.id,
                expires_at=expires_at,
                created_by=str(ctx.actor),
            )
        )
        granted.append(role)
    if not granted:
        raise ConflictError(f"{principal.name} holds {row.role!r} at {row.scope} already")
    row.status, row.roles = APPROVED, granted
    row.decided_at, row.decided_by, row.comment = now, str(ctx.actor), spec.comment
    row.starts_at, row.expires_at = now, expires_at
    ctx.session.flush()
    ctx.record(
        Action.ELEVATIONS_DECIDE,
        workspace=row.workspace,
        target=f"elevation:{row.id}",
        event=ElevationApproved(
            elevation=row.id,
            principal=principal.name,
            roles=granted,
            scope=row.scope,
            expires_at=expires_at.isoformat(),
            comment=spec.comment,
        ),
    )
    return _entity(row, principal.name)


def reject_elevation(
    ctx: ServiceContext, elevation_id: str, spec: ElevationDecisionSpec
) -> Elevation:
    row, principal = _decidable(ctx, elevation_id)
    if not spec.comment or not spec.comment.strip():
        raise ValidationError("say why the request is rejected", field="comment")
    row.status, row.decided_at = REJECTED, datetime.now(UTC)
    row.decided_by, row.comment = str(ctx.actor), spec.comment.strip()
    ctx.record(
        Action.ELEVATIONS_DECIDE,
        workspace=row.workspace,
        target=f"elevation:{row.id}",
        event=ElevationRejected(elevation=row.id, principal=principal.name, comment=row.comment),
    )
    return _entity(row, principal.name)


def list_elevations(
    ctx: ServiceContext, workspace: str | None = None, status: str | None = None
) -> list[Elevation]:
    """Requests in ``workspace`` (all: None), optionally of one ``status``; whoever may not
    read elevations there sees their own requests only."""
    query = (
        select(ElevationRow, PrincipalRow.name)
        .join(PrincipalRow, PrincipalRow.id == ElevationRow.principal_id)
        .order_by(ElevationRow.requested_at.desc())
    )
    if workspace is not None:
        query = query.where(ElevationRow.workspace == workspace)
    if not _may(ctx, Action.ELEVATIONS_READ, workspace):
        if ctx.actor.principal_id is None:
            ctx.authorize(Action.ELEVATIONS_READ, workspace)  # raises, audited
        query = query.where(ElevationRow.principal_id == ctx.actor.principal_id)
    found = [_entity(row, name) for row, name in ctx.session.execute(query).tuples()]
    return [e for e in found if status is None or e.status == status]


def get_elevation(ctx: ServiceContext, elevation_id: str) -> Elevation:
    row = ctx.session.get(ElevationRow, elevation_id)
    mine = ctx.actor.principal_id
    own = row is not None and mine is not None and row.principal_id == mine
    if not own:
        ctx.authorize(Action.ELEVATIONS_READ, row.workspace if row else None)
    if row is None:
        raise NotFoundError(f"elevation {elevation_id!r} not found")
    return _entity(row, ctx.session.get_one(PrincipalRow, row.principal_id).name)


def record_expiries(ctx: ServiceContext) -> list[str]:
    """Record each approved elevation past its expiry as expired (an event) and remove its
    assignments, which stopped holding at the expiry already. The worker calls this."""
    now = datetime.now(UTC)
    due = ctx.session.scalars(
        select(ElevationRow).where(
            ElevationRow.status == APPROVED,
            ElevationRow.expires_at <= now,
        )
    ).all()
    for row in due:
        target = f"elevation:{row.id}"
        ctx.begin_mutation(Action.ELEVATIONS_DECIDE, row.workspace, target)
        row.status = EXPIRED
        ctx.session.execute(
            delete(RoleAssignmentRow).where(RoleAssignmentRow.elevation_id == row.id)
        )
        assert row.expires_at is not None
        ctx.record(
            Action.ELEVATIONS_DECIDE,
            workspace=row.workspace,
            target=target,
            event=ElevationExpired(
                elevation=row.id,
                principal=ctx.session.get_one(PrincipalRow, row.principal_id).name,
                roles=list(row.roles),
                expired_at=_utc(row.expires_at).isoformat(),
            ),
        )
    return [row.id for row in due]


def max_duration_s(settings: Settings, role: str, roles: list[str]) -> float:
    """The longest ``role`` may be held: its own setting, else the shortest of its family
    roles' built-in roles' settings, else ``elevation_max_duration`` (8 h)."""
    limits = settings.elevation_role_max_durations
    if role in limits:
        return _setting(limits[role])
    named = [limits[b] for b in (_base(r) for r in roles) if b in limits]
    if named:
        return min(_setting(v) for v in named)
    return _setting(settings.elevation_max_duration)


def _decidable(ctx: ServiceContext, elevation_id: str) -> tuple[ElevationRow, PrincipalRow]:
    """The pending request another Owner may decide, or the error saying why not."""
    row = ctx.session.get(ElevationRow, elevation_id)
    action, target = Action.ELEVATIONS_DECIDE, f"elevation:{elevation_id}"
    ctx.begin_mutation(action, row.workspace if row else None, target)
    if row is None:
        raise NotFoundError(f"elevation {elevation_id!r} not found")
    actor = ctx.actor
    if actor.principal_id is not None:
        if actor.principal_id == row.principal_id:
            raise denied(
                actor,
                action,
                "an elevation is decided by another Owner, never by whoever asked for it",
            )
        grants = load_grants(ctx.session, actor.principal_id)
        if not any(
            g.role == "Owner" and g.elevation is None and covers(g.scope, row.scope) for g in grants
        ):
            raise denied(actor, action, f"an elevation at {row.scope} is decided by an Owner there")
    if row.status != PENDING:
        raise ConflictError(f"elevation {elevation_id} is {row.status} already")
    return row, ctx.session.get_one(PrincipalRow, row.principal_id)


def _eligible(
    ctx: ServiceContext, principal_id: str, scope: str, role: str
) -> dict[str, str | None]:
    """The family roles (with the persona each comes from) ``role`` names among those the
    principal is eligible for at ``scope``: a family role itself, or every family role of
    a built-in role (``Owner``: the Owner of each family it is eligible for)."""
    rows = ctx.session.scalars(
        select(RoleEligibilityRow).where(
            RoleEligibilityRow.principal_id == principal_id, RoleEligibilityRow.scope == scope
        )
    )
    return {r.role: r.persona for r in rows if role in (r.role, _base(r.role))}


def _may(ctx: ServiceContext, action: Action, workspace: str | None) -> bool:
    try:
        ctx.platform.authorizer.authorize(ctx.session, ctx.actor, action, workspace)
    except PermissionDeniedError:
        return False
    return True


def _base(role: str) -> str:
    return role.rsplit(" (", 1)[0] if family_role(role) is not None else role


def _setting(value: str) -> float:
    try:
        return duration_seconds(value)
    except ValueError as exc:
        raise ValidationError(f"{value!r}: {exc}", field="elevation_role_max_durations") from None


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds:g}s"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _entity(row: ElevationRow, principal: str) -> Elevation:
    status = row.status
    if status == APPROVED:
        assert row.expires_at is not None
        status = "active" if _utc(row.expires_at) > datetime.now(UTC) else EXPIRED
    return Elevation(
        id=row.id,
        principal=principal,
        role=row.role,
        roles=list(row.roles),
        scope=row.scope,
        workspace=row.workspace,
        duration_s=row.duration_s,
        reason=row.reason,
        ticket=row.ticket,
        status=status,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        comment=row.comment,
        starts_at=row.starts_at,
        expires_at=row.expires_at,
    )
