"""The event dispatcher: reads the outbox in order and delivers each event to every
subscriber that accepts it, at least once, with one cursor per subscriber.

Delivery of one event to one subscriber:
1. ``send`` (outside any transaction): the external effect, a webhook call;
2. one transaction, guarded by the dispatcher's lease: ``handle`` (effects in the
   metadata store, such as creating a job), the delivery record under its idempotency key
   ``<subscriber>/<event id>``, and the cursor's advance.
A crash between 1 and 2 repeats ``send`` (webhook receivers dedupe on the
``Idempotency-Key`` header); ``handle`` commits with the cursor, so it acts once.

A failed delivery is retried with exponential backoff, holding back that subscriber's
later events so each subscriber sees events in order; after ``event_max_attempts`` it is
recorded as a dead letter and the cursor moves on. Every attempt is logged (time, status
code or error, duration). A redelivery (``opsloop subscription redeliver``) queues a
delivery again behind the cursor; each pass delivers the queued ones first. The cursor never passes a gap in the outbox's
ids younger than ``event_late_commit_grace_s``: on PostgreSQL a transaction can take an id
and commit after a later one, and its event must not be skipped.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import or_, select

from opsloop.background.actions import subscriber_for
from opsloop.background.leases import Lease
from opsloop.schemas.events import CloudEvent
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.events import EventSubscriber, to_cloud_event
from opsloop.store.delivery_tables import EventDeliveryAttemptRow
from opsloop.store.tables import (
    EventCursorRow,
    EventDeliveryRow,
    EventSubscriptionRow,
    OutboxEventRow,
)

log = logging.getLogger(__name__)
BATCH = 200
# A test hook, read here only: set to "crash_before_commit", the process kills itself
# (SIGKILL) after a delivery's effect is written and before it commits, as a crash would.
FAULT_ENV = "OPSLOOP_TEST_DISPATCHER_FAULT"


class EventDispatcher:
    """One pass (``run_once``) delivers what is due to every subscriber; the worker runs
    passes under the ``events.dispatcher`` lease."""

    lease_name = "events.dispatcher"

    def __init__(self, platform: Platform, clock: Callable[[], datetime] | None = None) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.clock = clock or (lambda: datetime.now(UTC))
        # One connection pool for every webhook: a connection per call cost more than the
        # call itself.
        self.http = httpx.Client(timeout=self.settings.webhook_timeout_s)

    @property
    def interval_s(self) -> float:
        return self.settings.event_poll_interval_s

    def subscribers(self) -> list[EventSubscriber]:
        stored: list[EventSubscriber] = []
        with self.platform.database.transaction() as session:
            for row in session.scalars(
                select(EventSubscriptionRow).order_by(EventSubscriptionRow.name)
            ):
                try:
                    stored.append(subscriber_for(row, self.platform, self.http))
                except Exception:  # one unreadable subscription must not stop the others
                    log.exception("cannot deliver to event subscription %s", row.name)
        return [*self.platform.subscribers, *stored]

    def run_once(self, lease: Lease) -> int:
        """Deliver what is due; the number of deliveries made."""
        delivered = 0
        for subscriber in self.subscribers():
            delivered += self._redeliver(subscriber, lease)
            delivered += self._advance(subscriber, lease)
        return delivered

    def _redeliver(self, subscriber: EventSubscriber, lease: Lease) -> int:
        """Deliveries queued again (behind the cursor), each on its own retry budget."""
        with self.platform.database.transaction() as session:
            rows = session.scalars(
                select(OutboxEventRow)
                .join(EventDeliveryRow, EventDeliveryRow.event_id == OutboxEventRow.id)
                .where(
                    EventDeliveryRow.subscriber == subscriber.name,
                    EventDeliveryRow.status == "queued",
                    or_(
                        EventDeliveryRow.next_attempt_at.is_(None),
                        EventDeliveryRow.next_attempt_at <= self.clock(),
                    ),
                )
                .order_by(OutboxEventRow.id)
                .limit(BATCH)
            ).all()
            queued = [to_cloud_event(r) for r in rows]
        done = 0
        for event in queued:
            done += self._deliver(subscriber, event, lease, redelivery=True)
            if not lease.acquire():  # renewed as in _advance; gone: the next holder goes on
                break
        return done

    def _advance(self, subscriber: EventSubscriber, lease: Lease) -> int:
        position, events, retries = self._pending(subscriber)
        delivered = 0
        now = self.clock()
        grace = timedelta(seconds=self.settings.event_late_commit_grace_s)
        for event in events:
            if event.sequence != position + 1 and event.time > now - grace:
                break  # an earlier id may still commit: wait for it or for the grace
            if subscriber.accepts(event):
                retry = retries.get(event.sequence)
                if retry is not None and retry > now:
                    break
                if not self._deliver(subscriber, event, lease):
                    break
                delivered += 1
            position = event.sequence
            # Renews once a third of the lease has passed (cheap otherwise), so a pass of
            # slow webhooks keeps its lease; if another holder has it now, stop here.
            if not lease.acquire():
                return delivered
        self._move_cursor(subscriber.name, position, lease)
        return delivered

    def _pending(
        self, subscriber: EventSubscriber
    ) -> tuple[int, list[CloudEvent], dict[int, datetime]]:
        with self.platform.database.transaction() as session:
            cursor = session.get(EventCursorRow, subscriber.name)
            position = cursor.position if cursor else 0
            rows = session.scalars(
                select(OutboxEventRow)
                .where(OutboxEventRow.id > position)
                .order_by(OutboxEventRow.id)
                .limit(BATCH)
            ).all()
            retries = {
                d.event_id: d.next_attempt_at
                for d in session.scalars(
                    select(EventDeliveryRow).where(
                        EventDeliveryRow.subscriber == subscriber.name,
                        EventDeliveryRow.status == "retrying",
                        EventDeliveryRow.event_id > position,
                    )
                )
                if d.next_attempt_at is not None
            }
            return position, [to_cloud_event(r) for r in rows], retries

    def _deliver(
        self, subscriber: EventSubscriber, event: CloudEvent, lease: Lease, redelivery: bool = False
    ) -> bool:
        """True when the event is done with (delivered, or given up on)."""
        key = f"{subscriber.name}/{event.id}"
        started = time.monotonic()
        try:
            status_code = subscriber.send(event, key)
            with self.platform.context(SYSTEM_ACTOR) as ctx:
                lease.guard(ctx.session)
                delivery = _delivery_row(ctx, subscriber.name, event.sequence, key)
                if delivery.status != "delivered":
                    delivery.effect = subscriber.handle(ctx, event, key) or delivery.effect
                    delivery.status, delivery.last_error = "delivered", None
                    delivery.attempts += 1
                    delivery.next_attempt_at = None
                    delivery.updated_at = self.clock()
                    self._log_attempt(ctx, delivery, started, "delivered", status_code, None)
                if not redelivery:
                    _set_cursor(ctx, subscriber.name, event.sequence)
                _fault_point(ctx)
            return True
        except Exception as exc:
            if lease.token is None:  # the lease is gone: stop, the next holder carries on
                raise
            return self._record_failure(subscriber, event, key, exc, lease, started, redelivery)

    def _record_failure(
        self, subscriber: EventSubscriber, event: CloudEvent, key: str, exc: Exception,
        lease: Lease, started: float, redelivery: bool,
    ) -> bool:  # fmt: skip
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            lease.guard(ctx.session)
            delivery = _delivery_row(ctx, subscriber.name, event.sequence, key)
            delivery.attempts += 1
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            delivery.updated_at = now = self.clock()
            code = getattr(exc, "status_code", None)
            self._log_attempt(ctx, delivery, started, "failed", code, delivery.last_error)
            if delivery.attempts >= self.settings.event_max_attempts:
                delivery.status, delivery.next_attempt_at = "dead_letter", None
                if not redelivery:
                    _set_cursor(ctx, subscriber.name, event.sequence)
                log.error("gave up delivering %s to %s: %s", key, subscriber.name, exc)
                return True
            delivery.status = "queued" if redelivery else "retrying"
            wait = min(self.settings.event_retry_base_s * 2**delivery.attempts,
                       self.settings.event_retry_max_s)  # fmt: skip
            delivery.next_attempt_at = now + timedelta(seconds=wait)
            log.warning("delivery %s failed (attempt %d): %s", key, delivery.attempts, exc)
            return False

    def _log_attempt(
        self, ctx: ServiceContext, delivery: EventDeliveryRow, started: float, outcome: str,
        status_code: int | None, error: str | None,
    ) -> None:  # fmt: skip
        ctx.session.add(
            EventDeliveryAttemptRow(
                subscriber=delivery.subscriber, event_id=delivery.event_id,
                attempt=delivery.attempts, at=self.clock(), outcome=outcome,
                duration_ms=(time.monotonic() - started) * 1000, status_code=status_code,
                error=error,
            )
        )  # fmt: skip

    def _move_cursor(self, subscriber: str, position: int, lease: Lease) -> None:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            cursor = ctx.session.get(EventCursorRow, subscriber)
            if cursor is not None and cursor.position >= position:
                return
            lease.guard(ctx.session)
            _set_cursor(ctx, subscriber, position)


def _delivery_row(
    ctx: ServiceContext, subscriber: str, event_id: int, key: str
) -> EventDeliveryRow:
    row = ctx.session.scalar(
        select(EventDeliveryRow).where(EventDeliveryRow.idempotency_key == key)
    )
    if row is None:
        row = EventDeliveryRow(
            subscriber=subscriber, event_id=event_id, idempotency_key=key, status="new",
            attempts=0,
        )  # fmt: skip
        ctx.session.add(row)
    return row


def _fault_point(ctx: ServiceContext) -> None:
    """The crash test's hook (``FAULT_ENV``): the effect and the delivery are written (not
    committed) when the process dies."""
    if os.environ.get(FAULT_ENV) == "crash_before_commit":
        ctx.session.flush()
        log.warning("%s: killing this process before the commit", FAULT_ENV)
        os.kill(os.getpid(), signal.SIGKILL)


def _set_cursor(ctx: ServiceContext, subscriber: str, position: int) -> None:
    cursor = ctx.session.get(EventCursorRow, subscriber)
    if cursor is None:
        ctx.session.add(EventCursorRow(subscriber=subscriber, position=position))
    elif position > cursor.position:
        cursor.position = position
        cursor.updated_at = datetime.now(UTC)


def wait_until_delivered(
    dispatcher: EventDispatcher, lease: Lease, subscribers: Iterable[str], timeout_s: float
) -> None:
    """Run passes until every named subscriber's cursor reached the newest event (tests and
    scripts that need the events delivered before they go on)."""
    deadline = time.monotonic() + timeout_s
    names = set(subscribers)
    while time.monotonic() < deadline:
        lease.acquire()
        dispatcher.run_once(lease)
        with dispatcher.platform.database.transaction() as session:
            newest = session.scalar(select(OutboxEventRow.id).order_by(OutboxEventRow.id.desc()))
            cursors = {
                c.subscriber: c.position
                for c in session.scalars(
                    select(EventCursorRow).where(EventCursorRow.subscriber.in_(names))
                )
            }
        if all(cursors.get(n, 0) >= (newest or 0) for n in names):
            return
        time.sleep(dispatcher.interval_s)
    raise TimeoutError("events were not all delivered in time")
