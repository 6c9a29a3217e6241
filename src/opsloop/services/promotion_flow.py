"""The promotion driver's steps: each moves a promotion on by one step from its stored
state, so whoever drives it (a driver process, the worker after a restart) carries on
where the last one stopped.

A step reads what it needs in one transaction, does the slow part with none open (sharing
files, loading models, deploying), and writes the outcome in another, which checks the
promotion is still where the step found it (a cancel in between wins) and, when driven
under a lease, that the lease is still held (``guard``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.promotion_events import PromotionGateEvaluated
from opsloop.errors import OpsloopError
from opsloop.schemas.promotions import GateResult
from opsloop.services import approvals, assets, promotions
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.model_sharing import share_model
from opsloop.services.promotion_gates import evaluate, read_evidence
from opsloop.services.promotion_rollout import roll_out
from opsloop.services.promotion_shadow import shadow_roll_out
from opsloop.services.promotion_state import Guard, Snapshot, read_snapshot, write_step
from opsloop.services.registries import list_registries, registry_space
from opsloop.services.staging_tests import staging_test
from opsloop.specs.promotion import ApprovalGate, StagingTestGate
from opsloop.store.promotion_tables import ApprovalRow, PromotionRow
from opsloop.store.tables import AssetVersionRow

WAITING = (promotions.AWAITING_APPROVAL, *promotions.FINAL)


def drive_promotion(platform: Platform, promotion_id: str, guard: Guard | None = None) -> str:
    """Step until the promotion waits for a person or has ended; its state then."""
    while (state := advance_promotion(platform, promotion_id, guard)) not in WAITING:
        pass
    return state


def advance_promotion(platform: Platform, promotion_id: str, guard: Guard | None = None) -> str:
    """One step; the state after it."""
    now = read_snapshot(platform, promotion_id)
    try:
        if now.state == promotions.PENDING:
            return _share_candidate(platform, now, guard)
        if now.state == promotions.GATING:
            return _next_gate(platform, now, guard)
        if now.state == promotions.AWAITING_APPROVAL:
            return _check_approval(platform, now, guard)
        if now.state == promotions.ROLLING_OUT:
            shadow = now.policy.rollout.strategy == "shadow"
            return (shadow_roll_out if shadow else roll_out)(platform, now, guard)
    except OpsloopError as exc:  # a gate's input is missing, a deployment fails, ...
        report = _step(now, exc)
    else:
        return now.state
    return write_step(platform, now, guard, lambda ctx, row: _fail(ctx, row, now, report))


def _share_candidate(platform: Platform, now: Snapshot, guard: Guard | None) -> str:
    source_workspace, reference = now.source.split("/", 1)
    with platform.context(now.actor) as ctx:
        registry = now.policy.registry or list_registries(ctx)[0].name
        shared = _already_shared(ctx, registry, source_workspace, reference)
    if shared is None:
        model = share_model(platform, now.actor, source_workspace, reference, registry)
        shared = model.reference

    def record(ctx: ServiceContext, row: PromotionRow) -> None:
        row.model = shared
        promotions.transition(ctx, row, now.workspace, promotions.GATING)

    return write_step(platform, now, guard, record)


def _already_shared(
    ctx: ServiceContext, registry: str, workspace: str, reference: str
) -> str | None:
    """The registry's copy of ``workspace``'s ``reference``, if it was shared before."""
    space = registry_space(ctx, registry)
    name, _, version = reference.partition(":")
    if space is None:
        return None
    origin = {"workspace": workspace, "name": name, "version": version}
    rows = ctx.session.scalars(
        select(AssetVersionRow).where(
            AssetVersionRow.workspace_id == space.id, AssetVersionRow.asset_kind == "model"
        )
    )
    found = next((row for row in rows if row.details.get("shared_from") == origin), None)
    return None if found is None else assets.reference_to(ctx, found)


def _next_gate(platform: Platform, now: Snapshot, guard: Guard | None) -> str:
    gates = now.policy.gates
    if now.next_gate >= len(gates):
        return write_step(
            platform, now, guard,
            lambda ctx, row: promotions.transition(ctx, row, now.workspace, promotions.ROLLING_OUT),
        )  # fmt: skip
    gate = gates[now.next_gate]
    if isinstance(gate, ApprovalGate):

        def ask(ctx: ServiceContext, row: PromotionRow) -> None:
            approvals.request_approval(ctx, row, now.workspace, gate)
            promotions.transition(ctx, row, now.workspace, promotions.AWAITING_APPROVAL)

        return write_step(platform, now, guard, ask)
    assert now.model is not None
    if isinstance(gate, StagingTestGate):
        result = staging_test(platform, now, gate)
        return write_step(
            platform, now, guard, lambda ctx, row: _keep_result(ctx, row, now, result)
        )
    with platform.context(now.actor) as ctx:
        ctx.authorize(Action.PROMOTIONS_READ, now.workspace)
        evidence = read_evidence(ctx, now.workspace, now.model, gate, now.policy.deploy.endpoint)
    result = evaluate(gate, evidence)
    return write_step(platform, now, guard, lambda ctx, row: _keep_result(ctx, row, now, result))


def _keep_result(ctx: ServiceContext, row: PromotionRow, now: Snapshot, result: GateResult) -> None:
    result = result.model_copy(update={"at": datetime.now(UTC)})
    row.gate_results = [*row.gate_results, promotions.result_record(result)]
    row.next_gate += 1
    row.updated_at = datetime.now(UTC)
    ctx.record(
        Action.PROMOTIONS_WRITE, workspace=now.workspace, target=f"promotion:{row.name}",
        event=PromotionGateEvaluated(gate=result.gate, passed=result.passed, summary=result.summary),
    )  # fmt: skip
    if not result.passed:
        _fail(ctx, row, now, f"gate {row.next_gate} ({result.gate}) refused: {result.summary}")


def _check_approval(platform: Platform, now: Snapshot, guard: Guard | None) -> str:
    def check(ctx: ServiceContext, row: PromotionRow) -> None:
        request = ctx.session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.promotion_id == row.id)
            .order_by(ApprovalRow.created_at.desc())
        ).first()
        assert request is not None
        if approvals.expire_if_due(ctx, request, now.workspace) or request.status in (
            approvals.REJECTED,
            "Canceled",
        ):
            decided = (
                f"rejected by {request.decided_by}: {request.comment}"
                if request.status == approvals.REJECTED
                else f"expired at {request.expires_at:%Y-%m-%d %H:%M:%SZ} undecided"
            )
            _keep_result(ctx, row, now, GateResult(
                gate="approval", passed=False, summary=f"approval {request.name} {decided}",
                evidence={"approval": request.name, "role": request.role, "status": request.status},
            ))  # fmt: skip
        elif request.status == approvals.APPROVED:
            _keep_result(ctx, row, now, GateResult(
                gate="approval", passed=True,
                summary=f"approved by {request.decided_by}" + (
                    f": {request.comment}" if request.comment else ""),
                evidence={"approval": request.name, "role": request.role, "status": request.status},
            ))  # fmt: skip
            promotions.transition(ctx, row, now.workspace, promotions.GATING)

    return write_step(platform, now, guard, check)


def _fail(ctx: ServiceContext, row: PromotionRow, now: Snapshot, report: str) -> None:
    promotions.transition(ctx, row, now.workspace, promotions.FAILED, report=report)


def _step(now: Snapshot, exc: OpsloopError) -> str:
    where = {
        promotions.PENDING: "sharing the model into the registry",
        promotions.GATING: f"gate {now.next_gate + 1}",
        promotions.ROLLING_OUT: "rolling out",
    }.get(now.state, now.state)
    return f"{where} failed: {exc}"
