"""Event subscriptions: create (filter + one action), list, show, delete; their delivery
log; redelivery of dead letters or of one event.

The dispatcher (``opsloop.background.dispatcher``) delivers; ``opsloop.background.actions``
holds what each action does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy import delete, func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import (
    EventSubscriptionCreated,
    EventSubscriptionDeleted,
    EventSubscriptionRedeliveryRequested,
)
from opsloop.catalogue.update_events import EventSubscriptionUpdated
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.events import Delivery, DeliveryAttempt, EventSubscription, Redelivery
from opsloop.security.roles import PLATFORM_SCOPE
from opsloop.security.webhook_signing import new_secret
from opsloop.services.context import ServiceContext
from opsloop.services.visibility import readable_workspaces, require_readable
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.events import (
    STORE_ACTIONS,
    LabelAction,
    RollbackAction,
    RunJobAction,
    SubscriptionAction,
    SubscriptionSpec,
    WebhookAction,
)
from opsloop.store.delivery_tables import EventDeliveryAttemptRow
from opsloop.store.tables import (
    EventCursorRow,
    EventDeliveryRow,
    EventSubscriptionRow,
    OutboxEventRow,
)

PREFIX = "subscription:"
MAX_DELIVERIES = 10_000
_ACTION: TypeAdapter[SubscriptionAction] = TypeAdapter(SubscriptionAction)
# What the subscriber's creator must be allowed to do where the action acts.
_ACTION_NEEDS = {
    "run_job": Action.JOBS_WRITE,
    "rollback": Action.ONLINE_ENDPOINTS_WRITE,
    "label": Action.DATA_WRITE,
}


def subscriber_name(subscription: str) -> str:
    """The dispatcher's name for a subscription: keys its cursor and idempotency keys."""
    return f"{PREFIX}{subscription}"


def stored_action(row: EventSubscriptionRow) -> SubscriptionAction:
    if not row.action:  # made before actions: a webhook
        return WebhookAction(type="webhook", url=row.webhook_url or "")
    return _ACTION.validate_python(row.action)


def create_subscription(ctx: ServiceContext, spec: SubscriptionSpec) -> EventSubscription:
    """The action gets the matching events from now on (not the ones before it). A webhook's
    signing secret is in the answer, and only there."""
    target = f"event-subscription:{spec.name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_WRITE, spec.workspace, target)
    if spec.workspace:
        require_workspace_row(ctx, spec.workspace)
    _check_action(ctx, spec)
    if _find(ctx, spec.name) is not None:
        raise ConflictError(f"event subscription {spec.name!r} already exists")
    action = spec.action
    secret = new_secret() if isinstance(action, WebhookAction) else None
    row = EventSubscriptionRow(
        name=spec.name,
        workspace=spec.workspace,
        event_types=spec.types,
        subject=spec.subject,
        action=action.model_dump(mode="json", exclude_none=True),
        secret=ctx.secret_box.seal(secret) if secret else None,
        webhook_url=action.url if isinstance(action, WebhookAction) else None,
        created_by=str(ctx.actor),
    )
    ctx.session.add(row)
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_WRITE,
        workspace=spec.workspace,
        target=target,
        event=EventSubscriptionCreated(
            event_types=spec.types, webhook_url=row.webhook_url, action=action.type,
            subject=spec.subject,
        ),
    )  # fmt: skip
    ctx.session.flush()
    # Start after every event so far, this subscription's own creation included.
    latest = ctx.session.scalar(select(func.max(OutboxEventRow.id))) or 0
    ctx.session.add(EventCursorRow(subscriber=subscriber_name(spec.name), position=latest))
    made = _to_entity(ctx, row)
    made.secret = secret
    return made


def update_subscription(
    ctx: ServiceContext, name: str, spec: SubscriptionSpec
) -> EventSubscription:
    """Replace a subscription's filter and action with ``spec``'s (``opsloop apply``). It goes
    on from where it had read, its delivery log kept. A webhook keeps its signing secret
    while it stays a webhook; one that becomes a webhook gets a new secret, in the answer
    only."""
    target = f"event-subscription:{name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_WRITE, spec.workspace, target)
    if spec.name != name:
        raise ValidationError(f"must be {name!r}: a subscription cannot be renamed", field="name")
    row = _require(ctx, name)
    if spec.workspace != row.workspace:
        ctx.authorize(Action.EVENT_SUBSCRIPTIONS_WRITE, row.workspace)  # before saying where
        raise ValidationError(
            f"must be {row.workspace!r}: a subscription cannot move to another workspace "
            "(delete it and create it there)",
            field="workspace",
        )
    _check_action(ctx, spec)
    action = spec.action
    secret = None
    if isinstance(action, WebhookAction) and row.secret is None:
        secret = new_secret()
        row.secret = ctx.secret_box.seal(secret)
    elif not isinstance(action, WebhookAction):
        row.secret = None
    row.event_types, row.subject = spec.types, spec.subject
    row.action = action.model_dump(mode="json", exclude_none=True)
    row.webhook_url = action.url if isinstance(action, WebhookAction) else None
    ctx.session.flush()
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_WRITE,
        workspace=spec.workspace,
        target=target,
        event=EventSubscriptionUpdated(
            event_types=spec.types, action=action.type, subject=spec.subject
        ),
    )
    updated = _to_entity(ctx, row)
    updated.secret = secret
    return updated


def _check_action(ctx: ServiceContext, spec: SubscriptionSpec) -> None:
    """Whoever makes the subscription must be allowed the action's effect where it acts."""
    action = spec.action
    if not isinstance(action, RunJobAction | RollbackAction | LabelAction):
        return
    workspace = action.workspace or spec.workspace
    if workspace is None:
        raise ValidationError(
            "name the workspace it acts in (or the subscription's workspace)",
            field="action.workspace",
        )
    ctx.authorize(_ACTION_NEEDS[action.type], workspace)
    require_workspace_row(ctx, workspace)
    if isinstance(action, RunJobAction) and action.job_spec is None:
        raise ValidationError(
            "the job file was not read: create the subscription from its file "
            "(opsloop subscription create -f) or give job_spec",
            field="action.job",
        )


def list_subscriptions(ctx: ServiceContext) -> list[EventSubscription]:
    ctx.authorize(Action.EVENT_SUBSCRIPTIONS_READ, None)
    query = select(EventSubscriptionRow).order_by(EventSubscriptionRow.name)
    if (visible := readable_workspaces(ctx, Action.EVENT_SUBSCRIPTIONS_READ)) is not None:
        query = query.where(EventSubscriptionRow.workspace.in_(visible))
    return [_to_entity(ctx, row) for row in ctx.session.scalars(query)]


def get_subscription(ctx: ServiceContext, name: str) -> EventSubscription:
    return _to_entity(ctx, _readable(ctx, name))


def delete_subscription(ctx: ServiceContext, name: str) -> None:
    target = f"event-subscription:{name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_DELETE, None, target)
    row = _require(ctx, name)
    ctx.session.delete(row)
    # Its progress goes with it: a new subscription of that name starts afresh.
    subscriber = subscriber_name(name)
    for table in (EventCursorRow, EventDeliveryRow, EventDeliveryAttemptRow):
        ctx.session.execute(delete(table).where(table.subscriber == subscriber))
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_DELETE,
        workspace=row.workspace,
        target=target,
        event=EventSubscriptionDeleted(),
    )


def list_deliveries(
    ctx: ServiceContext, name: str, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    """The newest ``limit`` deliveries (of one ``status``), oldest first, each with its
    attempts."""
    _readable(ctx, name)
    if not 1 <= limit <= MAX_DELIVERIES:
        raise ValidationError(f"must be between 1 and {MAX_DELIVERIES}", field="limit")
    subscriber = subscriber_name(name)
    query = select(EventDeliveryRow).where(EventDeliveryRow.subscriber == subscriber)
    if status:
        query = query.where(EventDeliveryRow.status == status)
    rows = list(
        reversed(ctx.session.scalars(query.order_by(EventDeliveryRow.id.desc()).limit(limit)).all())
    )
    ids = [r.event_id for r in rows]
    outbox = {
        e.id: e
        for e in ctx.session.scalars(select(OutboxEventRow).where(OutboxEventRow.id.in_(ids)))
    }
    log: dict[int, list[DeliveryAttempt]] = {}
    for attempt in ctx.session.scalars(
        select(EventDeliveryAttemptRow)
        .where(
            EventDeliveryAttemptRow.subscriber == subscriber,
            EventDeliveryAttemptRow.event_id.in_(ids),
        )
        .order_by(EventDeliveryAttemptRow.id)
    ):
        log.setdefault(attempt.event_id, []).append(
            DeliveryAttempt(
                attempt=attempt.attempt, at=attempt.at, duration_ms=attempt.duration_ms,
                outcome=attempt.outcome,
                status_code=attempt.status_code, error=attempt.error,
            )
        )  # fmt: skip
    return [
        _delivery(name, row, outbox.get(row.event_id), log.get(row.event_id, [])) for row in rows
    ]


def redeliver(
    ctx: ServiceContext, name: str, *, event: str | None = None, dead_letters: bool = False
) -> Redelivery:
    """Queue one event (by its CloudEvent id) or every dead letter to be delivered again,
    with a fresh retry budget. A store action (run_job, rollback, label) that acted on an event
    does not act on it again: it acts once."""
    if (event is None) == (not dead_letters):
        raise ValidationError("give one event id, or ask for the dead letters", field="event")
    target = f"event-subscription:{name}"
    ctx.begin_mutation(Action.EVENT_SUBSCRIPTIONS_WRITE, None, target)
    row = _require(ctx, name)
    subscriber = subscriber_name(name)
    if event is not None:
        deliveries = [_delivery_for_event(ctx, row, subscriber, event)]
    else:
        deliveries = list(
            ctx.session.scalars(
                select(EventDeliveryRow).where(
                    EventDeliveryRow.subscriber == subscriber,
                    EventDeliveryRow.status == "dead_letter",
                )
            )
        )
    for delivery in deliveries:
        delivery.status, delivery.attempts, delivery.next_attempt_at = "queued", 0, None
        delivery.updated_at = datetime.now(UTC)
    ctx.session.flush()
    ids = [
        e
        for e in ctx.session.scalars(
            select(OutboxEventRow.event_id).where(
                OutboxEventRow.id.in_([d.event_id for d in deliveries])
            )
        )
    ]
    ctx.record(
        Action.EVENT_SUBSCRIPTIONS_WRITE,
        workspace=row.workspace,
        target=target,
        event=EventSubscriptionRedeliveryRequested(events=ids),
    )
    return Redelivery(subscription=name, queued=ids)


def _delivery_for_event(
    ctx: ServiceContext, row: EventSubscriptionRow, subscriber: str, event_id: str
) -> EventDeliveryRow:
    outbox = ctx.session.scalar(select(OutboxEventRow).where(OutboxEventRow.event_id == event_id))
    if outbox is None:
        raise NotFoundError(f"event {event_id!r} not found")
    cursor = ctx.session.get(EventCursorRow, subscriber)
    delivery = ctx.session.scalar(
        select(EventDeliveryRow).where(
            EventDeliveryRow.subscriber == subscriber, EventDeliveryRow.event_id == outbox.id
        )
    )
    if delivery is None:
        if cursor is None or outbox.id > cursor.position:
            raise ConflictError(f"event {event_id!r} is not delivered yet: it will be")
        # An event from before the subscription, or one its filter left out.
        delivery = EventDeliveryRow(
            subscriber=subscriber, event_id=outbox.id, status="queued", attempts=0,
            idempotency_key=f"{subscriber}/{event_id}",
        )  # fmt: skip
        ctx.session.add(delivery)
    elif delivery.status == "delivered" and stored_action(row).type in STORE_ACTIONS:
        raise ConflictError(
            f"the {stored_action(row).type} action acted on event {event_id!r} already "
            f"({delivery.effect or 'delivered'}): it acts once per event"
        )
    elif delivery.status in ("new", "retrying"):
        raise ConflictError(f"event {event_id!r} is being delivered: it is retried already")
    return delivery


def _delivery(
    name: str, row: EventDeliveryRow, event: OutboxEventRow | None, log: list[DeliveryAttempt]
) -> Delivery:
    return Delivery(
        subscription=name,
        event=event.event_id if event else row.idempotency_key.rsplit("/", 1)[-1],
        sequence=row.event_id,
        event_type=event.type if event else None,
        idempotency_key=row.idempotency_key,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        updated_at=row.updated_at,
        effect=row.effect,
        log=log,
    )


def _find(ctx: ServiceContext, name: str) -> EventSubscriptionRow | None:
    return ctx.session.scalar(select(EventSubscriptionRow).where(EventSubscriptionRow.name == name))


def _require(ctx: ServiceContext, name: str) -> EventSubscriptionRow:
    row = _find(ctx, name)
    if row is None:
        raise NotFoundError(f"event subscription {name!r} not found")
    return row


def _readable(ctx: ServiceContext, name: str) -> EventSubscriptionRow:
    ctx.authorize(Action.EVENT_SUBSCRIPTIONS_READ, None)
    row = _require(ctx, name)
    where = f"/workspaces/{row.workspace}" if row.workspace else PLATFORM_SCOPE
    require_readable(ctx, Action.EVENT_SUBSCRIPTIONS_READ, where)
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
    action = stored_action(row).model_dump(mode="json", exclude_none=True)
    action.pop("job_spec", None)
    return EventSubscription(
        name=row.name,
        workspace=row.workspace,
        event_types=row.event_types,
        subject=row.subject,
        action=action,
        webhook_url=row.webhook_url,
        created_at=row.created_at,
        created_by=row.created_by,
        position=cursor.position if cursor else 0,
        pending=counts.get("retrying", 0) + counts.get("queued", 0),
        dead_letters=counts.get("dead_letter", 0),
    )
