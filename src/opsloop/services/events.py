"""Events: listing the outbox as CloudEvents; the subscriber interface the dispatcher
delivers to (stored subscriptions are in ``opsloop.services.subscriptions``).

Events are written by ``ServiceContext.record`` in the transaction of the change they
describe; the dispatcher (``opsloop.background.dispatcher``) delivers them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.errors import ValidationError
from opsloop.schemas.events import CloudEvent
from opsloop.services.context import ServiceContext
from opsloop.services.visibility import readable_workspaces
from opsloop.store.tables import OutboxEventRow

MAX_LIST = 10_000


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

    def send(self, event: CloudEvent, idempotency_key: str) -> int | None:
        """An effect outside the metadata store; runs again if the process dies before the
        delivery is recorded. Returns the receiver's status code, if it has one."""
        return None

    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> str | None:
        """An effect in the metadata store, committed with the delivery: runs once. Returns
        what it made (``job:dev/<name>``), recorded on the delivery."""
        return None


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
