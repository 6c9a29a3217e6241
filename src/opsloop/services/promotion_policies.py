"""Stored promotion policies: a workspace's named policies, so ``opsloop model promote
--policy NAME`` and ``opsloop apply`` use one reviewed policy instead of a file each caller
holds. Storing one needs ``promotion-policies/write`` in the workspace the policy guards:
its gates decide what may enter it."""

from __future__ import annotations

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.promotion_events import PromotionPolicyDeleted, PromotionPolicySet
from opsloop.errors import NotFoundError, ValidationError
from opsloop.schemas.promotions import PromotionPolicy
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.promotion import PromotionPolicySpec
from opsloop.store.promotion_tables import PromotionPolicyRow
from opsloop.store.tables import WorkspaceRow, utcnow


def set_policy(
    ctx: ServiceContext, workspace: str, name: str, spec: PromotionPolicySpec
) -> PromotionPolicy:
    """Create the policy, or replace its spec (a new version) when the spec differs; the
    same spec again changes nothing."""
    target = f"promotion-policy:{name}"
    ctx.begin_mutation(Action.PROMOTION_POLICIES_WRITE, workspace, target)
    if spec.name != name:
        raise ValidationError(f"must be {name!r}, the policy's name", field="name")
    ws = require_workspace_row(ctx, workspace)
    stored = spec.model_dump(mode="json", exclude_none=True)
    row = _find(ctx, ws, name)
    if row is not None and row.spec == stored:
        return to_entity(row, workspace)
    now = utcnow()
    if row is None:
        row = PromotionPolicyRow(
            workspace_id=ws.id, name=name, version=0, created_by=str(ctx.actor), created_at=now
        )
        ctx.session.add(row)
    row.spec, row.version = stored, row.version + 1
    row.updated_by, row.updated_at = str(ctx.actor), now
    ctx.session.flush()
    ctx.record(
        Action.PROMOTION_POLICIES_WRITE,
        workspace=workspace,
        target=target,
        event=PromotionPolicySet(policy=name, version=row.version),
    )
    return to_entity(row, workspace)


def get_policy(ctx: ServiceContext, workspace: str, name: str) -> PromotionPolicy:
    ctx.authorize(Action.PROMOTION_POLICIES_READ, workspace)
    return to_entity(_require(ctx, require_workspace_row(ctx, workspace), name), workspace)


def list_policies(ctx: ServiceContext, workspace: str) -> list[PromotionPolicy]:
    ctx.authorize(Action.PROMOTION_POLICIES_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(PromotionPolicyRow)
        .where(PromotionPolicyRow.workspace_id == ws.id)
        .order_by(PromotionPolicyRow.name)
    )
    return [to_entity(row, workspace) for row in rows]


def delete_policy(ctx: ServiceContext, workspace: str, name: str) -> None:
    """Promotions under way keep the policy they started with (each holds its own copy)."""
    target = f"promotion-policy:{name}"
    ctx.begin_mutation(Action.PROMOTION_POLICIES_DELETE, workspace, target)
    row = _require(ctx, require_workspace_row(ctx, workspace), name)
    ctx.session.delete(row)
    ctx.record(
        Action.PROMOTION_POLICIES_DELETE,
        workspace=workspace,
        target=target,
        event=PromotionPolicyDeleted(policy=name),
    )


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> PromotionPolicyRow | None:
    return ctx.session.scalar(
        select(PromotionPolicyRow).where(
            PromotionPolicyRow.workspace_id == ws.id, PromotionPolicyRow.name == name
        )
    )


def _require(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> PromotionPolicyRow:
    row = _find(ctx, ws, name)
    if row is None:
        raise NotFoundError(
            f"promotion policy {name!r} not found in workspace {ws.name!r}; store one with "
            f"`opsloop promotion policy create -w {ws.name} -f POLICY.yml`"
        )
    return row


def to_entity(row: PromotionPolicyRow, workspace: str) -> PromotionPolicy:
    return PromotionPolicy(
        workspace=workspace,
        name=row.name,
        version=row.version,
        spec=row.spec,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
