"""Signed webhooks (Standard Webhooks) against a real HTTP receiver; retries with backoff,
the delivery log, dead letters after the retry budget, and redelivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from opsloop.background.dispatcher import EventDispatcher
from opsloop.background.leases import Lease
from opsloop.config import Settings
from opsloop.errors import ConflictError
from opsloop.security.actor import Actor
from opsloop.services import registries, subscriptions
from opsloop.services.context import Platform
from opsloop.services.events import list_events
from opsloop.specs.events import SubscriptionSpec
from opsloop.specs.workspace import RegistrySpec
from opsloop.store.tables import EventSubscriptionRow
from webhooks import webhook_receiver

ME = Actor(name="me")


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    settings = Settings(
        home=tmp_path / "home", event_late_commit_grace_s=1, event_max_attempts=3,
        event_retry_base_s=0.5, event_retry_max_s=60,
    )  # fmt: skip
    return Platform(settings)


def _subscribe(platform: Platform, url: str, name: str = "hook") -> str:
    spec = SubscriptionSpec.model_validate(
        {"name": name, "types": ["registry.*"], "action": {"type": "webhook", "url": url}}
    )
    with platform.context(ME) as ctx:
        made = subscriptions.create_subscription(ctx, spec)
    assert made.secret is not None
    return made.secret


def _registry(platform: Platform, name: str) -> None:
    with platform.context(ME) as ctx:
        registries.create_registry(ctx, RegistrySpec(name=name))


def _lease(platform: Platform) -> Lease:
    lease = Lease(platform.database, EventDispatcher.lease_name, "test", ttl_s=60)
    assert lease.acquire()
    return lease


def _expected_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """Standard Webhooks, computed here from the spec, not with opsloop's code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_a_webhook_is_signed_with_the_secret_shown_once(platform: Platform) -> None:
    with webhook_receiver() as receiver:
        secret = _subscribe(platform, receiver.url)
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
        _registry(platform, "shared")
        before = int(time.time())
        EventDispatcher(platform).run_once(_lease(platform))
    [(headers, body)] = receiver.raw
    assert headers["webhook-signature"] == _expected_signature(secret, headers, body)
    assert headers["webhook-id"] == headers["idempotency-key"]
    assert abs(int(headers["webhook-timestamp"]) - before) <= 5
    assert json.loads(body)["subject"] == "registry:shared"
    # A receiver holding another secret, or seeing a changed body, rejects the call.
    assert headers["webhook-signature"] != _expected_signature(
        "whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body
    )
    assert headers["webhook-signature"] != _expected_signature(secret, headers, body + b" ")
    # The secret is sealed in the store and never shown again.
    with platform.database.transaction() as session:
        stored = session.scalar(select(EventSubscriptionRow.secret))
    assert stored and secret not in stored and stored.startswith("fernet:")
    with platform.context(ME) as ctx:
        assert subscriptions.get_subscription(ctx, "hook").secret is None
        assert [s.secret for s in subscriptions.list_subscriptions(ctx)] == [None]


def test_retries_back_off_then_dead_letter_then_redeliver(platform: Platform) -> None:
    now = [datetime.now(UTC)]
    dispatcher, lease = EventDispatcher(platform, clock=lambda: now[0]), _lease(platform)
    with webhook_receiver() as receiver:
        _subscribe(platform, receiver.url)
        _registry(platform, "r0")
        receiver.fail_next = 100
        assert dispatcher.run_once(lease) == 0  # attempt 1 fails: next after 0.5 * 2 = 1 s
        now[0] += timedelta(seconds=0.9)
        dispatcher.run_once(lease)  # too early: no attempt
        now[0] += timedelta(seconds=0.2)
        dispatcher.run_once(lease)  # attempt 2 fails: next after 0.5 * 4 = 2 s
        now[0] += timedelta(seconds=1.9)
        dispatcher.run_once(lease)  # too early
        now[0] += timedelta(seconds=0.2)
        dispatcher.run_once(lease)  # attempt 3 fails: the budget is spent
        assert len(receiver.raw) == 3
        with platform.context(ME) as ctx:
            [dead] = subscriptions.list_deliveries(ctx, "hook", status="dead_letter")
            assert subscriptions.get_subscription(ctx, "hook").dead_letters == 1
        assert dead.attempts == 3 and dead.event_type == "registry.created"
        assert [a.outcome for a in dead.log] == ["failed"] * 3
        assert [a.status_code for a in dead.log] == [503] * 3
        assert all(a.duration_ms > 0 for a in dead.log)
        gaps = [(b.at - a.at).total_seconds() for a, b in zip(dead.log, dead.log[1:], strict=False)]
        assert gaps == pytest.approx([1.1, 2.1])
        _registry(platform, "r1")  # the cursor moved on: later events are not held up
        receiver.fail_next = 0
        dispatcher.run_once(lease)
        assert [e["subject"] for _, e in receiver.calls] == ["registry:r1"]

        with platform.context(ME) as ctx:
            queued = subscriptions.redeliver(ctx, "hook", dead_letters=True)
        assert queued.queued == [dead.event]
        assert dispatcher.run_once(lease) == 1
    assert [e["subject"] for _, e in receiver.calls] == ["registry:r1", "registry:r0"]
    # The same id and key as the first tries: a receiver dedupes on them.
    assert receiver.raw[-1][0]["webhook-id"] == receiver.raw[0][0]["webhook-id"]
    with platform.context(ME) as ctx:
        [again] = [d for d in subscriptions.list_deliveries(ctx, "hook") if d.event == dead.event]
        assert subscriptions.list_deliveries(ctx, "hook", status="dead_letter") == []
    assert again.status == "delivered" and [a.outcome for a in again.log] == [
        "failed", "failed", "failed", "delivered",
    ]  # fmt: skip
    assert again.log[-1].status_code == 200


def test_redeliver_one_event_and_what_cannot_be_redelivered(platform: Platform) -> None:
    dispatcher, lease = EventDispatcher(platform), _lease(platform)
    with webhook_receiver() as receiver:
        _registry(platform, "before")  # made before the subscription: never delivered
        _subscribe(platform, receiver.url)
        _registry(platform, "after")
        with platform.context(ME) as ctx:
            made = list_events(ctx, event_type="registry.created")
            events = {e.subject: e.id for e in made}
            with pytest.raises(ConflictError, match="not delivered yet"):
                subscriptions.redeliver(ctx, "hook", event=events["registry:after"])
        dispatcher.run_once(lease)
        for subject in ("registry:after", "registry:before"):
            with platform.context(ME) as ctx:
                subscriptions.redeliver(ctx, "hook", event=events[subject])
        dispatcher.run_once(lease)
    assert [e["subject"] for _, e in receiver.calls] == [
        "registry:after", "registry:before", "registry:after",
    ]  # fmt: skip


def test_the_receiver_in_the_docs_accepts_a_call_once_and_refuses_a_replay(
    platform: Platform,
) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "events.md").read_text()
    section = docs[docs.index("## Signed webhooks") :]
    code = section[section.index("```python") + len("```python") : section.index("```\n", 10)]
    with webhook_receiver() as receiver:
        secret = _subscribe(platform, receiver.url)
        _registry(platform, "shared")
        EventDispatcher(platform).run_once(_lease(platform))
    [(headers, body)] = receiver.raw
    receiver_code: dict[str, object] = {}
    exec(code.replace('"whsec_..."', repr(secret)), receiver_code)
    verify = receiver_code["verify"]
    assert callable(verify)
    assert verify(headers, body) is True
    assert verify(headers, body) is False  # the same webhook-id again
    tampered = {**headers, "webhook-id": headers["webhook-id"] + "x"}
    assert verify(tampered, body) is False  # signed over another id
    stale = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 3600)}
    assert verify(stale, body) is False
