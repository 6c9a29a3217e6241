"""Rows of promotions and their approval requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsloop.store.tables import Base, new_id, utcnow


class PromotionRow(Base):
    """One model version on its way into a workspace: the policy it runs, where its state
    machine stands, and each gate's result with its evidence."""

    __tablename__ = "promotions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_promotions_state", "state"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)  # as asked: dev/taxi:3 or a registry reference
    model: Mapped[str | None] = mapped_column(Text)  # the registry reference it deploys
    policy: Mapped[dict[str, Any]] = mapped_column()
    state: Mapped[str] = mapped_column(String(32))
    next_gate: Mapped[int] = mapped_column(Integer, default=0)
    gate_results: Mapped[list[Any]] = mapped_column(default=list)
    deployment: Mapped[str | None] = mapped_column(String(255))
    # The rollout under way: the traffic before it, the canary step, its analyses.
    rollout: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report: Mapped[str | None] = mapped_column(Text)  # why it stopped, in one paragraph
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_by_kind: Mapped[str] = mapped_column(String(32), default="user")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ApprovalRow(Base):
    """A request for a person holding ``role`` to let a promotion go on: Pending, then
    Approved, Rejected (with a comment) or Expired, each final."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status", "status"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    promotion_id: Mapped[str] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(255))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class PromotionPolicyRow(Base):
    """A workspace's named promotion policy (``model promote --policy NAME``): its spec as
    checked by ``PromotionPolicySpec``, and a version counted up by each change."""

    __tablename__ = "promotion_policies"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    spec: Mapped[dict[str, Any]] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
