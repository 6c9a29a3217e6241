"""Approval requests: a promotion's approval gate asks a person holding a role to let it
go on. Pending -> Approved | Rejected (with a comment) | Expired; each final. Whoever asked
for the promotion cannot approve it. Every request and decision is an event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventPayload
from opsloop.catalogue.promotion_events import (
    ApprovalApproved,
    ApprovalExpired,
    ApprovalRejected,
    ApprovalRequested,
)
from opsloop.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from opsloop.schemas.promotions import Approval
from opsloop.security.personas import find_persona
from opsloop.security.roles import covers
from opsloop.services.context import ServiceContext
from opsloop.services.promotions import launch_driver
from opsloop.services.roles import load_grants, role_definition
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.promotion import ApprovalGate, as_timedelta
from opsloop.store.promotion_tables import ApprovalRow, PromotionRow
from opsloop.store.tables import WorkspaceRow

PENDING, APPROVED, REJECTED, EXPIRED = "Pending", "Approved", "Rejected", "Expired"


def request_approval(
    ctx: ServiceContext, promotion: PromotionRow, workspace: str, gate: ApprovalGate
) -> ApprovalRow:
    now = datetime.now(UTC)
    row = ApprovalRow(
        workspace_id=promotion.workspace_id,
        promotion_id=promotion.id,
        name=f"{promotion.name}-approval-{promotion.next_gate + 1}",
        role=gate.role,
        status=PENDING,
        requested_by=promotion.requested_by,
        created_at=now,
        expires_at=now + as_timedelta(gate.expires_in),
    )
    ctx.session.add(row)
    ctx.session.flush()
    requested = ApprovalRequested(
        promotion=promotion.name, role=gate.role, expires_at=row.expires_at.isoformat()
    )
    _record(ctx, row, workspace, requested, action=Action.PROMOTIONS_WRITE)
    return row


def decide_approval(
    ctx: ServiceContext, workspace: str, name: str, *, approve: bool, comment: str | None
) -> Approval:
    """Approve or reject; once this commits, the promotion's driver carries on."""
    ctx.begin_mutation(Action.APPROVALS_DECIDE, workspace, f"approval:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = _require(ctx, ws, name, lock=True)
    if row.status == EXPIRED or (row.status == PENDING and row.expires_at <= datetime.now(UTC)):
        raise ConflictError(
            f"approval {name} expired at {row.expires_at:%Y-%m-%d %H:%M:%SZ} undecided; "
            "its promotion has stopped: start a new one"
        )
    if row.status != PENDING:
        raise ConflictError(f"approval {name} is {row.status} already; decisions are final")
    if ctx.actor.name == row.requested_by:
        raise PermissionDeniedError(
            f"{ctx.actor} asked for this promotion and cannot approve or reject it; "
            f"someone holding the {row.role} role decides"
        )
    _require_role(ctx, row, workspace)
    if not approve and not (comment and comment.strip()):
        raise ValidationError("a rejection needs a comment saying why", field="comment")
    row.status = APPROVED if approve else REJECTED
    row.decided_by, row.decided_at, row.comment = str(ctx.actor), datetime.now(UTC), comment
    event: EventPayload = (
        ApprovalApproved(comment=comment) if approve else ApprovalRejected(comment=comment or "")
    )
    _record(ctx, row, workspace, event)
    promotion = ctx.session.get(PromotionRow, row.promotion_id)
    assert promotion is not None
    launch_driver(ctx, promotion, workspace)
    return to_entity(row, workspace, promotion)


def _require_role(ctx: ServiceContext, row: ApprovalRow, workspace: str) -> None:
    """A principal (a token's) decides only while holding the request's role on the
    workspace: a role the platform defines (built-in or custom), or a persona
    (``project_lead``), held as the roles its template gave the principal there. A name
    that is neither is not checked. Embedded, the OS user owns the home."""
    if ctx.actor.principal_id is None:
        return
    persona = find_persona(row.role)
    if persona is None and role_definition(ctx.session, row.role) is None:
        return
    grants = load_grants(ctx.session, ctx.actor.principal_id)
    scope = f"/workspaces/{workspace}"
    if not any(
        covers(g.scope, scope) and (g.persona == persona.id if persona else g.role == row.role)
        for g in grants
    ):
        what = f"the {persona.id} persona" if persona else f"the {row.role} role"
        raise PermissionDeniedError(
            f"approval {row.name} is for someone holding {what} on workspace "
            f"{workspace!r}; {ctx.actor} does not"
        )


def expire_request_if_due(ctx: ServiceContext, workspace: str, name: str) -> None:
    """Mark the request Expired if its time has passed (and let its promotion's driver
    stop the promotion): called in a transaction of its own before a decision, so the
    expiry stands when the decision is refused."""
    ctx.begin_mutation(Action.APPROVALS_DECIDE, workspace, f"approval:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = _require(ctx, ws, name, lock=True)
    if row.status == PENDING and expire_if_due(ctx, row, workspace):
        promotion = ctx.session.get(PromotionRow, row.promotion_id)
        assert promotion is not None
        launch_driver(ctx, promotion, workspace)


def expire_if_due(ctx: ServiceContext, row: ApprovalRow, workspace: str) -> bool:
    """Mark a pending request past its time Expired; True if it is (now or before)."""
    if row.status == PENDING and row.expires_at <= datetime.now(UTC):
        row.status, row.decided_at = EXPIRED, datetime.now(UTC)
        _record(ctx, row, workspace, ApprovalExpired(), action=Action.PROMOTIONS_WRITE)
    return row.status == EXPIRED


def get_approval(ctx: ServiceContext, workspace: str, name: str) -> Approval:
    ctx.authorize(Action.APPROVALS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    row = _require(ctx, ws, name)
    return to_entity(row, workspace, ctx.session.get(PromotionRow, row.promotion_id))


def list_approvals(
    ctx: ServiceContext, workspace: str, status: str | None = None
) -> list[Approval]:
    ctx.authorize(Action.APPROVALS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    query = select(ApprovalRow).where(ApprovalRow.workspace_id == ws.id)
    if status is not None:
        query = query.where(ApprovalRow.status == status)
    rows = list(ctx.session.scalars(query.order_by(ApprovalRow.created_at.desc())))
    return [
        to_entity(row, workspace, ctx.session.get(PromotionRow, row.promotion_id)) for row in rows
    ]


def _require(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, *, lock: bool = False
) -> ApprovalRow:
    query = select(ApprovalRow).where(ApprovalRow.workspace_id == ws.id, ApprovalRow.name == name)
    row = ctx.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"approval {name!r} not found in workspace {ws.name!r}")
    return row


def _record(
    ctx: ServiceContext,
    row: ApprovalRow,
    workspace: str,
    event: EventPayload,
    *,
    action: Action = Action.APPROVALS_DECIDE,
) -> None:
    ctx.record(action, workspace=workspace, target=f"approval:{row.name}", event=event)


def to_entity(row: ApprovalRow, workspace: str, promotion: PromotionRow | None) -> Approval:
    return Approval(
        workspace=workspace,
        name=row.name,
        promotion=promotion.name if promotion else "",
        model=(promotion.model or promotion.source) if promotion else None,
        role=row.role,
        # Past its time: Expired, even before a driver or a decision has marked it so.
        status=EXPIRED
        if row.status == PENDING and row.expires_at <= datetime.now(UTC)
        else row.status,
        requested_by=row.requested_by,
        decided_by=row.decided_by,
        comment=row.comment,
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
    )
