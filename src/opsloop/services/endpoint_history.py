"""An online endpoint's history (what served when: each traffic split, the model each
deployment then served, and who or what changed it), read from its events; and rolling
back to the split before the last change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from opsloop.catalogue.actions import Action
from opsloop.errors import ConflictError
from opsloop.schemas.endpoints import OnlineEndpoint, TrafficChange
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import require_endpoint_row, update_online_endpoint
from opsloop.services.workspaces import require_workspace_row
from opsloop.store.tables import OutboxEventRow

_TRAFFIC = "online_endpoint.traffic_changed"
_DEPLOYED = ("online_deployment.created", "online_deployment.updated")


def endpoint_history(ctx: ServiceContext, workspace: str, name: str) -> list[TrafficChange]:
    """Every traffic split the endpoint had, oldest first."""
    ctx.authorize(Action.ONLINE_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    require_endpoint_row(ctx, ws, name)
    events = ctx.session.scalars(
        select(OutboxEventRow)
        .where(
            OutboxEventRow.workspace == workspace,
            or_(
                OutboxEventRow.subject == f"online-endpoint:{name}",
                OutboxEventRow.subject.like(f"online-deployment:{name}/%"),
            ),
        )
        .order_by(OutboxEventRow.id)
    )
    models: dict[str, str | None] = {}
    changes: list[TrafficChange] = []
    traffic: dict[str, int] = {}
    for event in events:
        payload: dict[str, Any] = event.payload
        via: str | None
        if event.type in _DEPLOYED:
            deployment = (event.subject or "").split("/", 1)[1]
            models[deployment] = payload.get("model")
            if not payload.get("all_traffic"):
                continue
            traffic = {d: 0 for d in traffic} | {deployment: 100}
            via = "online-deployment create --all-traffic"
        elif event.type == _TRAFFIC:
            traffic, via = dict(payload["traffic"]), payload.get("via")
        else:
            continue
        changes.append(
            TrafficChange(
                at=event.at,
                traffic=traffic,
                actor=event.actor,
                via=via,
                models={d: models.get(d) for d, share in traffic.items() if share > 0},
            )
        )
    return changes


def roll_back_traffic(ctx: ServiceContext, workspace: str, name: str) -> OnlineEndpoint:
    """Restore the traffic split the endpoint had before its last change; when a promotion
    made that change, before the promotion's first (all its canary steps at once)."""
    history = endpoint_history(ctx, workspace, name)
    first = len(history) - 1
    via = history[-1].via if history else None
    if via and via.startswith("promotion:"):
        while first > 0 and history[first - 1].via == via:
            first -= 1
    if first < 1:
        raise ConflictError(
            f"online endpoint {name!r} has had no other traffic split to go back to"
        )
    previous = history[first - 1].traffic
    current = history[-1].traffic
    restored = {d: previous.get(d, 0) for d in set(previous) | set(current)}
    return update_online_endpoint(ctx, workspace, name, traffic=restored, via="rollback")
