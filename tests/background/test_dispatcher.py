"""The dispatcher over a real store: in-order, at-least-once delivery with one cursor per
subscriber; handlers that write to the store act once; webhooks get CloudEvents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from opsloop.background.dispatcher import EventDispatcher, wait_until_delivered
from opsloop.background.leases import Lease
from opsloop.config import Settings
from opsloop.schemas.events import CloudEvent
from opsloop.security.actor import Actor
from opsloop.services import registries, subscriptions
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.events import EventSubscriber
from opsloop.specs.events import EventSubscriptionSpec
from opsloop.specs.workspace import RegistrySpec
from opsloop.store.tables import EventDeliveryRow, OutboxEventRow, RegistryRow
from webhooks import webhook_receiver

ME = Actor(name="me")


class TagRegistries(EventSubscriber):
    """Writes to the store for each registry event: a handler that must act once."""

    name = "test:tagger"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def accepts(self, event: CloudEvent) -> bool:
        return event.type == "registry.created"

    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> None:
        self.seen.append(event.sequence)
        name = (event.subject or "").split(":", 1)[1]
        row = ctx.session.scalar(select(RegistryRow).where(RegistryRow.name == name))
        assert row is not None
        row.tags = {**row.tags, "handled": str(int(row.tags.get("handled", "0")) + 1)}


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    return Platform(Settings(home=tmp_path / "home", event_late_commit_grace_s=1))


def _registries(platform: Platform, count: int, prefix: str = "r") -> None:
    for i in range(count):
        with platform.context(ME) as ctx:
            registries.create_registry(ctx, RegistrySpec(name=f"{prefix}{i}"))


def _lease(platform: Platform) -> Lease:
    lease = Lease(platform.database, EventDispatcher.lease_name, "test", ttl_s=60)
    assert lease.acquire()
    return lease


def test_a_store_handler_acts_once_per_event_in_order(platform: Platform) -> None:
    tagger = TagRegistries()
    platform.subscribers.append(tagger)
    _registries(platform, 5)
    dispatcher, lease = EventDispatcher(platform), _lease(platform)
    wait_until_delivered(dispatcher, lease, [tagger.name], timeout_s=30)
    dispatcher.run_once(lease)  # another pass delivers nothing again
    assert tagger.seen == sorted(tagger.seen) and len(tagger.seen) == 5
    with platform.database.transaction() as session:
        tags = [r.tags for r in session.scalars(select(RegistryRow))]
        keys = session.scalars(select(EventDeliveryRow.idempotency_key)).all()
    assert tags == [{"handled": "1"}] * 5
    assert len(set(keys)) == 5 and all(k.startswith("test:tagger/") for k in keys)


def test_a_pass_that_lost_its_lease_writes_nothing(platform: Platform) -> None:
    tagger = TagRegistries()
    platform.subscribers.append(tagger)
    _registries(platform, 2)
    dispatcher = EventDispatcher(platform)
    stale = Lease(platform.database, EventDispatcher.lease_name, "old", ttl_s=0.1)
    assert stale.acquire()
    import time

    time.sleep(0.2)
    assert Lease(platform.database, EventDispatcher.lease_name, "new", ttl_s=60).acquire()
    with pytest.raises(Exception, match="lost"):
        dispatcher.run_once(stale)
    with platform.database.transaction() as session:
        assert all(not r.tags for r in session.scalars(select(RegistryRow)))
        assert session.scalar(select(func.count()).select_from(EventDeliveryRow)) == 0


def test_webhook_gets_cloud_events_after_its_creation_only(platform: Platform) -> None:
    _registries(platform, 2, prefix="before")
    with webhook_receiver() as receiver:
        with platform.context(ME) as ctx:
            subscriptions.create_subscription(
                ctx,
                EventSubscriptionSpec(
                    name="hook", event_types=["registry.*"], webhook_url=receiver.url
                ),
            )
        _registries(platform, 3, prefix="after")
        dispatcher, lease = EventDispatcher(platform), _lease(platform)
        wait_until_delivered(dispatcher, lease, ["subscription:hook"], timeout_s=30)
    subjects = [envelope["subject"] for _, envelope in receiver.calls]
    assert subjects == ["registry:after0", "registry:after1", "registry:after2"]
    envelope = receiver.calls[0][1]
    assert envelope["specversion"] == "1.0" and envelope["type"] == "registry.created"
    assert envelope["source"] == "/opsloop" and envelope["actor"] == "me"
    assert {"id", "time", "data", "sequence"} <= envelope.keys()


def test_a_failing_webhook_is_retried_in_order_then_delivered(platform: Platform) -> None:
    with webhook_receiver() as receiver:
        with platform.context(ME) as ctx:
            subscriptions.create_subscription(
                ctx,
                EventSubscriptionSpec(name="hook", event_types=["*"], webhook_url=receiver.url),
            )
        _registries(platform, 3)
        receiver.fail_next = 2
        now = [datetime.now(UTC)]
        dispatcher = EventDispatcher(platform, clock=lambda: now[0])
        lease = _lease(platform)
        assert dispatcher.run_once(lease) == 0  # first try fails: nothing after it goes
        with platform.context(ME) as ctx:
            assert subscriptions.get_subscription(ctx, "hook").pending == 1
        assert dispatcher.run_once(lease) == 0  # the backoff has not passed yet
        now[0] += timedelta(seconds=3)
        assert dispatcher.run_once(lease) == 0  # second try fails too
        now[0] += timedelta(seconds=5)
        assert dispatcher.run_once(lease) == 3
    assert [e["subject"] for _, e in receiver.calls] == [
        "registry:r0",
        "registry:r1",
        "registry:r2",
    ]
    with platform.database.transaction() as session:
        attempts = session.scalars(
            select(EventDeliveryRow.attempts).order_by(EventDeliveryRow.event_id)
        ).all()
    assert attempts == [3, 1, 1]


def test_a_webhook_that_never_answers_is_given_up_on(platform: Platform) -> None:
    platform.settings.event_max_attempts = 2
    with platform.context(ME) as ctx:
        subscriptions.create_subscription(
            ctx,
            EventSubscriptionSpec(
                name="dead", event_types=["*"], webhook_url="http://127.0.0.1:9/hook"
            ),
        )
    _registries(platform, 1)
    now = [datetime.now(UTC)]
    dispatcher = EventDispatcher(platform, clock=lambda: now[0])
    lease = _lease(platform)
    dispatcher.run_once(lease)
    now[0] += timedelta(seconds=10)
    dispatcher.run_once(lease)
    with platform.context(ME) as ctx:
        found = subscriptions.get_subscription(ctx, "dead")
    assert (found.dead_letters, found.pending) == (1, 0)
    with platform.database.transaction() as session:
        newest = session.scalar(select(func.max(OutboxEventRow.id)))
    assert found.position == newest


def test_the_cursor_waits_at_a_young_gap_and_passes_an_old_one(platform: Platform) -> None:
    tagger = TagRegistries()
    platform.subscribers.append(tagger)
    _registries(platform, 1)
    with platform.database.transaction() as session:
        first = session.scalar(select(func.max(OutboxEventRow.id))) or 0
    dispatcher, lease = EventDispatcher(platform), _lease(platform)
    dispatcher.run_once(lease)
    assert len(tagger.seen) == 1
    # An event whose id leaves a gap (another transaction may still commit first - 1)...
    with platform.database.transaction() as session:
        session.add(RegistryRow(name="late", created_by="me"))
        session.add(
            OutboxEventRow(
                id=first + 2, type="registry.created", subject="registry:late", payload={}
            )
        )
    dispatcher.run_once(lease)
    assert len(tagger.seen) == 1  # ...waits while young,
    import time

    time.sleep(1.2)
    dispatcher.run_once(lease)
    assert tagger.seen[-1] == first + 2  # and is delivered once the grace has passed
