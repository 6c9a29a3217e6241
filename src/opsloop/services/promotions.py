"""Promotions: a model version on its way into a workspace, through the gates of a policy,
as an explicit state machine whose every transition is an event.

States: ``Pending`` (asked; the model is not yet in a registry) -> ``Gating`` (one gate at
a time) -> ``AwaitingApproval`` (an approval gate's request is open) -> ``Gating`` ... ->
``RollingOut`` -> ``Succeeded``; or ``Failed`` (a gate refused, an approval was rejected or
expired, the deployment failed), ``RolledBack`` (a canary's analysis failed and the
traffic went back, or a shadow's answers disagreed and its mirror was removed) or
``Canceled``. The driver (``promotion_flow``) moves it on, from its stored state, so a
promotion resumes where it was after a restart.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.catalogue.promotion_events import PromotionStarted, PromotionStateChanged
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.promotions import GateResult, Promotion
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import require_endpoint_row, update_online_endpoint
from opsloop.services.registries import list_registries
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.promotion import PromotionPolicySpec
from opsloop.specs.references import parse_registry_uri
from opsloop.store.promotion_tables import ApprovalRow, PromotionRow
from opsloop.store.tables import WorkspaceRow

PENDING, GATING, AWAITING_APPROVAL = "Pending", "Gating", "AwaitingApproval"
ROLLING_OUT, SUCCEEDED, FAILED, CANCELED = "RollingOut", "Succeeded", "Failed", "Canceled"
ROLLED_BACK = "RolledBack"
ACTIVE = (PENDING, GATING, AWAITING_APPROVAL, ROLLING_OUT)
FINAL = (SUCCEEDED, FAILED, CANCELED, ROLLED_BACK)


def start_promotion(
    ctx: ServiceContext,
    workspace: str,
    source: str,
    policy: PromotionPolicySpec,
    *,
    source_workspace: str | None = None,
) -> Promotion:
    """Ask for ``source`` (a registry reference, or ``name:version`` of
    ``source_workspace``) to enter ``workspace`` under ``policy``; the driver does the rest."""
    ctx.begin_mutation(Action.PROMOTIONS_WRITE, workspace, f"promotion:{source}")
    target = require_workspace_row(ctx, workspace)
    try:
        require_endpoint_row(ctx, target, policy.deploy.endpoint)
    except NotFoundError as exc:
        raise ValidationError(str(exc), field="deploy.endpoint") from None
    _refuse_a_second(ctx, target, policy.deploy.endpoint)
    stored_source, model, name = _check_source(ctx, source, source_workspace, policy)
    row = PromotionRow(
        workspace_id=target.id,
        name=f"{name}-to-{workspace}-{secrets.token_hex(3)}",
        source=stored_source,
        model=model,
        policy=policy.model_dump(mode="json", exclude_none=True),
        state=PENDING if model is None else GATING,
        next_gate=0,
        gate_results=[],
        requested_by=ctx.actor.name,
        requested_by_kind=ctx.actor.kind,
    )
    ctx.session.add(row)
    ctx.session.flush()
    launch_driver(ctx, row, workspace)
    ctx.record(
        Action.PROMOTIONS_WRITE,
        workspace=workspace,
        target=f"promotion:{row.name}",
        event=PromotionStarted(source=stored_source, model=model, policy=policy.name,
                               endpoint=policy.deploy.endpoint),
    )  # fmt: skip
    return to_entity(ctx, row, workspace)


def _refuse_a_second(ctx: ServiceContext, ws: WorkspaceRow, endpoint: str) -> None:
    """One promotion at a time per endpoint: two would both change its traffic."""
    require_endpoint_row(ctx, ws, endpoint, lock=True)  # serialises two asking at once
    for other in ctx.session.scalars(
        select(PromotionRow).where(
            PromotionRow.workspace_id == ws.id, PromotionRow.state.in_(ACTIVE)
        )
    ):
        if other.policy["deploy"]["endpoint"] == endpoint:
            raise ConflictError(
                f"promotion {other.name} ({other.state}) is under way for endpoint "
                f"{endpoint!r}, and two would both change its traffic; wait for it to end or "
                f"cancel it (opsloop promotion cancel -w {ws.name} -n {other.name})"
            )


def _check_source(
    ctx: ServiceContext,
    source: str,
    source_workspace: str | None,
    policy: PromotionPolicySpec,
) -> tuple[str, str | None, str]:
    """(what to store as the source, the registry reference if it is one already, a name)."""
    registry = parse_registry_uri(source, field="model", kind="model")
    if registry is not None:
        row = assets.resolve_in_registry(ctx, registry, field="model")
        return (
            assets.reference_to(ctx, row),
            assets.reference_to(ctx, row),
            _slug(row.name, row.version),
        )
    if source_workspace is None:
        raise ValidationError(
            "name the workspace the model is in (-w), or give a registry reference", field="model"
        )
    ws = require_workspace_row(ctx, source_workspace)
    row = assets.resolve(ctx, ws, "model", source, field="model")
    if policy.registry is None and len(list_registries(ctx)) != 1:
        raise ValidationError(
            "the model is shared into a registry before it enters another workspace: name "
            "one in the policy (registry: shared)",
            field="registry",
        )
    return f"{source_workspace}/{row.name}:{row.version}", None, _slug(row.name, row.version)


def get_promotion(ctx: ServiceContext, workspace: str, name: str) -> Promotion:
    ctx.authorize(Action.PROMOTIONS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return to_entity(ctx, require_promotion_row(ctx, ws, name), workspace)


def list_promotions(
    ctx: ServiceContext, workspace: str, state: str | None = None
) -> list[Promotion]:
    ctx.authorize(Action.PROMOTIONS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    query = select(PromotionRow).where(PromotionRow.workspace_id == ws.id)
    if state is not None:
        query = query.where(PromotionRow.state == state)
    rows = ctx.session.scalars(query.order_by(PromotionRow.created_at.desc()))
    return [to_entity(ctx, row, workspace) for row in rows]


def cancel_promotion(ctx: ServiceContext, workspace: str, name: str) -> Promotion:
    """Stop a promotion that has not finished; what it deployed stays as it is, but for a
    shadow rollout's mirror, which is removed."""
    ctx.begin_mutation(Action.PROMOTIONS_CANCEL, workspace, f"promotion:{name}")
    ws = require_workspace_row(ctx, workspace)
    row = require_promotion_row(ctx, ws, name, lock=True)
    if row.state in FINAL:
        raise ConflictError(f"promotion {name} has ended ({row.state}); nothing to cancel")
    for approval in pending_approvals(ctx, row):
        approval.status, approval.decided_at = "Canceled", datetime.now(UTC)
    if row.state == ROLLING_OUT and (row.rollout or {}).get("strategy") == "shadow":
        # The mirror would go on doubling the candidate's work for nobody.
        update_online_endpoint(ctx, workspace, row.policy["deploy"]["endpoint"],
                               mirror_traffic={}, via=f"promotion:{row.name}")  # fmt: skip
    transition(ctx, row, workspace, CANCELED, report=f"canceled by {ctx.actor}")
    return to_entity(ctx, row, workspace)


DRIVER = "opsloop.background.promotions"


def launch_driver(ctx: ServiceContext, row: PromotionRow, workspace: str) -> None:
    """Once this call commits, start a driver process that moves the promotion on until it
    waits for a person or ends (the worker starts another if that one dies)."""
    if not ctx.platform.launch_jobs:
        return
    from opsloop.execution.launcher import launch_detached

    settings, promotion_id = ctx.settings, row.id
    folder = settings.resolved_home() / "promotions" / workspace / row.name
    ctx.after_commit(lambda: launch_detached(settings, DRIVER, [promotion_id], folder))


def transition(
    ctx: ServiceContext,
    row: PromotionRow,
    workspace: str,
    state: str,
    *,
    report: str | None = None,
    action: Action = Action.PROMOTIONS_WRITE,
) -> None:
    """Move ``row`` to ``state``, with its event; the caller holds the row's lock."""
    previous, row.state = row.state, state
    now = datetime.now(UTC)
    row.updated_at = now
    if report is not None:
        row.report = report
    if state in FINAL:
        row.finished_at = now
    ctx.record(
        action,
        workspace=workspace,
        target=f"promotion:{row.name}",
        event=PromotionStateChanged(previous=previous, state=state, report=report),
    )


def require_promotion_row(
    ctx: ServiceContext, ws: WorkspaceRow, name: str, *, lock: bool = False
) -> PromotionRow:
    query = select(PromotionRow).where(
        PromotionRow.workspace_id == ws.id, PromotionRow.name == name
    )
    row = ctx.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"promotion {name!r} not found in workspace {ws.name!r}")
    return row


def pending_approvals(ctx: ServiceContext, row: PromotionRow) -> list[ApprovalRow]:
    return list(
        ctx.session.scalars(
            select(ApprovalRow).where(
                ApprovalRow.promotion_id == row.id, ApprovalRow.status == "Pending"
            )
        )
    )


def policy_of(row: PromotionRow) -> PromotionPolicySpec:
    return PromotionPolicySpec.model_validate(row.policy)


def to_entity(ctx: ServiceContext, row: PromotionRow, workspace: str) -> Promotion:
    pending = pending_approvals(ctx, row) if row.state == AWAITING_APPROVAL else []
    return Promotion(
        workspace=workspace,
        name=row.name,
        source=row.source,
        model=row.model,
        policy=row.policy,
        state=row.state,
        gate_results=[GateResult.model_validate(result) for result in row.gate_results],
        deployment=row.deployment,
        endpoint=row.policy["deploy"]["endpoint"],
        rollout=row.rollout or {},
        report=row.report,
        approval=pending[0].name if pending else None,
        requested_by=row.requested_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _slug(name: str, version: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{name}-{version}")[:80]


def result_record(result: GateResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


@dataclass(frozen=True)
class DriverlessCandidate:
    """An active promotion a driver may have to move on (the supervisor's view)."""

    id: str
    name: str
    workspace: str


def promotions_a_driver_may_move(session: Session, now: datetime) -> list[DriverlessCandidate]:
    """Every active promotion but those waiting on a pending, unexpired approval: a person
    decides those, and the decision starts their driver."""
    waiting = select(ApprovalRow.promotion_id).where(
        ApprovalRow.status == "Pending", ApprovalRow.expires_at > now
    )
    rows = session.execute(
        select(PromotionRow.id, PromotionRow.name, WorkspaceRow.name)
        .join(WorkspaceRow, WorkspaceRow.id == PromotionRow.workspace_id)
        .where(PromotionRow.state.in_(ACTIVE))
        .where(~((PromotionRow.state == AWAITING_APPROVAL) & PromotionRow.id.in_(waiting)))
    ).all()
    return [DriverlessCandidate(id, name, workspace) for id, name, workspace in rows]
