"""Events: listing the outbox as CloudEvents, and the webhook subscriptions that receive them.

Events are written by ``ServiceContext.record`` in the transaction of the change they
describe; the dispatcher (``opsloop.background.dispatcher``) delivers them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventSubscriptionCreated, EventSubscriptionDeleted
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.events import CloudEvent, EventSubscription
from opsloop.security.roles import PLATFORM_SCOPE
from opsloop.services.context import ServiceContext
from opsloop.services.visibility import readable_workspaces, require_readable
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.events import EventSubscriptionSpec
from opsloop.store.tables import (
    EventCursorRow,
    EventDeliveryRow,
    EventSubscriptionRow,
    OutboxEventRow,
)

MAX_LIST = 10_000
WEBHOOK_PREFIX = "webhook:"


class EventSubscriber:
    """A subscriber: override ``accepts`` and ``send`` and/or ``handle``.

    ``name`` keys the subscriber's cursor, so it must stay the same across restarts::

        class RetrainOnDrift(EventSubscriber):
            name = "actions:retrain"
            def accepts(self, event): return event.type == "monitor.alert"
            def handle(self, ctx, event, idempotency_key):
                jobs.submit_job(ctx, event.workspace, spec)  # commits with the cursor
    """

    name: str = ""

    def accepts(self, event: CloudEvent) -> bool:
        return True

    def send(self, event: CloudEvent, idempotency_key: str) -> None:
        """An effect outside the metadata store; runs again if the process dies before the
        delivery is recorded."""

    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> None:
        """An effect in the metadata store, committed with the delivery: runs once."""


def to_cloud_event(row: OutboxEventRow) -> CloudEvent:
    source = f"/opsloop/workspaces/{row.workspace}" if row.workspace else "/opsloop"
    return CloudEvent(
        id=row.event_id,
        source=source,
        type=row.type,
        subject=row.subject,
        time=row.at,
        data=row.payload,
        sequence=row.id,
        actor=row.actor,
        workspace=row.workspace,
    )


def list_events(
    ctx: ServiceContext,
    *,
    event_type: str | None = None,
    workspace: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[CloudEvent]:
    """The newest ``limit`` events that match, oldest first. ``event_type`` may end in
    ``*`` (``job.*``)."""
    ctx.authorize(Action.EVENTS_READ, workspace)
    if not 1 <= limit <= MAX_LIST:
        raise ValidationError(f"must be between 1 and {MAX_LIST}", field="limit")
    query = select(OutboxEventRow)
    if event_type:
        if event_type.endswith("*"):
            query = query.where(OutboxEventRow.type.startswith(event_type[:-1], autoescape=True))
        else:
            query = query.where(OutboxEventRow.type == event_type)
    if workspace:
        query = query.where(OutboxEventRow.workspace == workspace)
    elif (visible := readable_workspaces(ctx, Action.EVENTS_READ)) is not None:
        query = query.where(OutboxEventRow.workspace.in_(visible))  # never the platform's
    if since:
        query = query.where(OutboxEventRow.at >= since)
    if until:
        query = query.where(OutboxEventRow.at < until)
    rows = ctx.session.scalars(query.order_by(OutboxEventRow.id.desc()).limit(limit)).all()
    return [to_cloud_event(row) for row in reversed(rows)]


def create_subscription(ctx: ServiceContext, spec: EventSubscriptionSpec) -> EventSubscription:
    """A webhook receives the matching events from now on (not the ones before it)."""
    target = f"event-subscription:{spec.name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_WRITE, spec.workspace, target)
    if spec.workspace:
        require_workspace_row(ctx, spec.workspace)
    if _find(ctx, spec.name) is not None:
        raise ConflictError(f"event subscription {spec.name!r} already exists")
    row = EventSubscriptionRow(
        name=spec.name,
        workspace=spec.workspace,
        event_types=spec.event_types,
        webhook_url=spec.webhook_url,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_WRITE,
        workspace=spec.workspace,
        target=target,
        event=EventSubscriptionCreated(event_types=spec.event_types, webhook_url=spec.webhook_url),
    )
    ctx.session.flush()
    # Start after every event so far, this subscription's own creation included.
    latest = ctx.session.scalar(select(func.max(OutboxEventRow.id))) or 0
    subscriber = subscriber_name(spec.name)
    ctx.session.add(EventCursorRow(subscriber=subscriber, position=latest))
    return _to_entity(ctx, row)


def list_subscriptions(ctx: ServiceContext) -> list[EventSubscription]:
    ctx.authorize(Action.EVENT_SUBSCRIPTIONS_READ, None)
    query = select(EventSubscriptionRow).order_by(EventSubscriptionRow.name)
    if (visible := readable_workspaces(ctx, Action.EVENT_SUBSCRIPTIONS_READ)) is not None:
        query = query.where(EventSubscriptionRow.workspace.in_(visible))
    return [_to_entity(ctx, row) for row in ctx.session.scalars(query)]


def get_subscription(ctx: ServiceContext, name: str) -> EventSubscription:
    ctx.authorize(Action.EVENT_SUBSCRIPTIONS_READ, None)
    row = _require(ctx, name)
    where = f"/workspaces/{row.workspace}" if row.workspace else PLATFORM_SCOPE
    require_readable(ctx, Action.EVENT_SUBSCRIPTIONS_READ, where)
    return _to_entity(ctx, row)


def delete_subscription(ctx: ServiceContext, name: str) -> None:
    target = f"event-subscription:{name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_DELETE, None, target)
    row = _require(ctx, name)
    ctx.session.delete(row)
    # Its progress goes with it: a new subscription of that name starts afresh.
    subscriber = subscriber_name(name)
    ctx.session.execute(delete(EventCursorRow).where(EventCursorRow.subscriber == subscriber))
    ctx.session.execute(delete(EventDeliveryRow).where(EventDeliveryRow.subscriber == subscriber))
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_DELETE,
        workspace=row.workspace,
        target=target,
        event=EventSubscriptionDeleted(),
    )


def subscriber_name(subscription: str) -> str:
    return f"{WEBHOOK_PREFIX}{subscription}"


def _find(ctx: ServiceContext, name: str) -> EventSubscriptionRow | None:
    return ctx.session.scalar(select(EventSubscriptionRow).where(EventSubscriptionRow.name == name))


def _require(ctx: ServiceContext, name: str) -> EventSubscriptionRow:
    row = _find(ctx, name)
    if row is None:
        raise NotFoundError(f"event subscription {name!r} not found")
    return row


def _to_entity(ctx: ServiceContext, row: EventSubscriptionRow) -> EventSubscription:
    subscriber = subscriber_name(row.name)
    cursor = ctx.session.get(EventCursorRow, subscriber)
    counts = dict(
        ctx.session.execute(
            select(EventDeliveryRow.status, func.count())
            .where(EventDeliveryRow.subscriber == subscriber)
            .group_by(EventDeliveryRow.status)
        ).all()
    )
    return EventSubscription(
        name=row.name,
        workspace=row.workspace,
        event_types=row.event_types,
        webhook_url=row.webhook_url,
        created_at=row.created_at,
        created_by=row.created_by,
        position=cursor.position if cursor else 0,
        pending=counts.get("retrying", 0),
        failed=counts.get("failed", 0),
    )
