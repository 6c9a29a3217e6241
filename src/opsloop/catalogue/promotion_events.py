"""Event types of promotions and their approval requests."""

from __future__ import annotations

from pydantic import Field

from opsloop.catalogue.events import EventPayload


class PromotionStarted(EventPayload):
    event_type = "promotion.started"
    resource_type = "promotions"
    description = "A model version was put forward to enter a workspace under a policy."
    source: str
    model: str | None = None
    policy: str
    endpoint: str


class PromotionPolicySet(EventPayload):
    event_type = "promotion_policy.set"
    resource_type = "promotion-policies"
    description = "A workspace's stored promotion policy was created or replaced."
    policy: str
    version: int


class PromotionPolicyDeleted(EventPayload):
    event_type = "promotion_policy.deleted"
    resource_type = "promotion-policies"
    description = "A workspace's stored promotion policy was deleted."
    policy: str


class PromotionStateChanged(EventPayload):
    event_type = "promotion.state_changed"
    resource_type = "promotions"
    description = (
        "A promotion moved on: Gating, AwaitingApproval, RollingOut, Succeeded, Failed or "
        "Canceled (with the report when it stopped)."
    )
    previous: str
    state: str
    report: str | None = None


class PromotionGateEvaluated(EventPayload):
    event_type = "promotion.gate_evaluated"
    resource_type = "promotions"
    description = "One gate of a promotion gave its verdict (its evidence is on the promotion)."
    gate: str
    passed: bool
    summary: str


class ApprovalRequested(EventPayload):
    event_type = "approval.requested"
    resource_type = "approvals"
    description = "A promotion asks a person holding a role to approve it."
    promotion: str
    role: str
    expires_at: str


class ApprovalApproved(EventPayload):
    event_type = "approval.approved"
    resource_type = "approvals"
    description = "An approval request was approved."
    comment: str | None = None


class ApprovalRejected(EventPayload):
    event_type = "approval.rejected"
    resource_type = "approvals"
    description = "An approval request was rejected, with a comment."
    comment: str


class ApprovalExpired(EventPayload):
    event_type = "approval.expired"
    resource_type = "approvals"
    description = "An approval request passed its time undecided."


class RolloutStepped(EventPayload):
    event_type = "rollout.stepped"
    resource_type = "promotions"
    description = (
        "A rollout moved traffic to the new deployment (a canary step, or all of it), or a "
        "shadow rollout started or stopped mirroring requests to it (mirror_traffic)."
    )
    endpoint: str
    deployment: str
    traffic: dict[str, int]
    mirror_traffic: dict[str, int] = Field(default_factory=dict)


class RolloutRolledBack(EventPayload):
    event_type = "rollout.rolled_back"
    resource_type = "promotions"
    description = (
        "A canary's (or a shadow's) analysis failed: the endpoint's traffic went back to what "
        "it was (a shadow's mirror is removed; live traffic never moved)."
    )
    endpoint: str
    deployment: str
    traffic: dict[str, int]
    reason: str
    mirror_traffic: dict[str, int] = Field(default_factory=dict)
