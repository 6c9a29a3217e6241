"""What a promotion driver's step reads and how it writes: a snapshot of the stored
promotion, and a write that applies only if the promotion is still where the step found it
(a cancel in between wins) and, under a lease, only while the lease is held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsloop.errors import OpsloopError
from opsloop.security.actor import Actor
from opsloop.services import promotions
from opsloop.services.context import Platform, ServiceContext
from opsloop.specs.promotion import PromotionPolicySpec
from opsloop.store.promotion_tables import PromotionRow
from opsloop.store.tables import WorkspaceRow

Guard = Callable[[Session], None]


@dataclass(frozen=True)
class Snapshot:
    id: str
    name: str
    workspace: str
    state: str
    next_gate: int
    source: str
    model: str | None
    policy: PromotionPolicySpec
    actor: Actor
    rollout: dict[str, Any] = field(default_factory=dict)


def read_snapshot(platform: Platform, promotion_id: str) -> Snapshot:
    with platform.database.transaction() as session:
        row = session.get(PromotionRow, promotion_id)
        if row is None:
            raise OpsloopError(f"promotion {promotion_id} not found")
        ws = session.get(WorkspaceRow, row.workspace_id)
        assert ws is not None
        return Snapshot(
            id=row.id, name=row.name, workspace=ws.name, state=row.state,
            next_gate=row.next_gate, source=row.source, model=row.model,
            policy=promotions.policy_of(row),
            actor=Actor(name=row.requested_by, kind=row.requested_by_kind),
            rollout=dict(row.rollout or {}),
        )  # fmt: skip


def write_step(
    platform: Platform,
    now: Snapshot,
    guard: Guard | None,
    change: Callable[[ServiceContext, PromotionRow], Any],
) -> str:
    """Apply ``change`` if the promotion is still where ``now`` found it; its state after."""
    with platform.context(now.actor) as ctx:
        if guard is not None:
            guard(ctx.session)
        row = ctx.session.scalar(
            select(PromotionRow).where(PromotionRow.id == now.id).with_for_update()
        )
        assert row is not None
        if (row.state, row.next_gate, row.rollout or {}) == (now.state, now.next_gate, now.rollout):
            change(ctx, row)
        return row.state
