"""Promotions of model versions into a workspace, and the approval requests they open."""

from __future__ import annotations

from fastapi import APIRouter, Response

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.asset_requests import ApprovalDecision, PromotionRequest
from opsloop.schemas.promotions import Approval, Promotion, PromotionPolicy
from opsloop.services import approvals, promotion_policies, promotions
from opsloop.specs.promotion import PromotionPolicySpec

router = APIRouter(prefix="/workspaces/{workspace}")


@router.post("/promotions", status_code=201, tags=["promotions"])
def start_promotion(
    workspace: str, body: PromotionRequest, platform: PlatformDep, actor: ActorDep
) -> Promotion:
    """Put a model version forward; a driver runs the policy's gates and rolls it out."""
    with platform.context(actor) as ctx:
        return promotions.start_promotion(
            ctx, workspace, body.model, body.policy, source_workspace=body.source_workspace
        )


@router.get("/promotions", tags=["promotions"])
def list_promotions(
    workspace: str, platform: PlatformDep, actor: ActorDep, state: str | None = None
) -> list[Promotion]:
    with platform.context(actor) as ctx:
        return promotions.list_promotions(ctx, workspace, state)


@router.get("/promotions/{name}", tags=["promotions"])
def get_promotion(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Promotion:
    with platform.context(actor) as ctx:
        return promotions.get_promotion(ctx, workspace, name)


@router.post("/promotions/{name}/cancel", tags=["promotions"])
def cancel_promotion(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> Promotion:
    with platform.context(actor) as ctx:
        return promotions.cancel_promotion(ctx, workspace, name)


@router.get("/approvals", tags=["approvals"])
def list_approvals(
    workspace: str, platform: PlatformDep, actor: ActorDep, status: str | None = None
) -> list[Approval]:
    with platform.context(actor) as ctx:
        return approvals.list_approvals(ctx, workspace, status)


@router.get("/approvals/{name}", tags=["approvals"])
def get_approval(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Approval:
    with platform.context(actor) as ctx:
        return approvals.get_approval(ctx, workspace, name)


@router.post("/approvals/{name}/approve", tags=["approvals"])
def approve(
    workspace: str, name: str, body: ApprovalDecision, platform: PlatformDep, actor: ActorDep
) -> Approval:
    with platform.context(actor) as ctx:
        approvals.expire_request_if_due(ctx, workspace, name)
    with platform.context(actor) as ctx:
        return approvals.decide_approval(ctx, workspace, name, approve=True, comment=body.comment)


@router.post("/approvals/{name}/reject", tags=["approvals"])
def reject(
    workspace: str, name: str, body: ApprovalDecision, platform: PlatformDep, actor: ActorDep
) -> Approval:
    with platform.context(actor) as ctx:
        approvals.expire_request_if_due(ctx, workspace, name)
    with platform.context(actor) as ctx:
        return approvals.decide_approval(ctx, workspace, name, approve=False, comment=body.comment)


@router.put("/promotion-policies/{name}", tags=["promotions"])
def set_promotion_policy(
    workspace: str, name: str, spec: PromotionPolicySpec, platform: PlatformDep, actor: ActorDep
) -> PromotionPolicy:
    """Store the policy (a new version when its spec differs; the same spec changes nothing)."""
    with platform.context(actor) as ctx:
        return promotion_policies.set_policy(ctx, workspace, name, spec)


@router.get("/promotion-policies", tags=["promotions"])
def list_promotion_policies(
    workspace: str, platform: PlatformDep, actor: ActorDep
) -> list[PromotionPolicy]:
    with platform.context(actor) as ctx:
        return promotion_policies.list_policies(ctx, workspace)


@router.get("/promotion-policies/{name}", tags=["promotions"])
def get_promotion_policy(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> PromotionPolicy:
    with platform.context(actor) as ctx:
        return promotion_policies.get_policy(ctx, workspace, name)


@router.delete("/promotion-policies/{name}", status_code=204, tags=["promotions"])
def delete_promotion_policy(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> Response:
    with platform.context(actor) as ctx:
        promotion_policies.delete_policy(ctx, workspace, name)
    return Response(status_code=204)
