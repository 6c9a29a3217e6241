"""Two `opsloop server` processes on the real PostgreSQL deliver 1,000 events to each
webhook subscriber; killing the lease holder hands the work to the other within the lease
time, and a receiver that dedupes on the idempotency key acts once per event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from helpers import bootstrap_token, free_port, wait_healthy, wait_until
from opsloop.background.dispatcher import EventDispatcher
from opsloop.background.leases import lease_holders
from opsloop.config import Settings
from opsloop.security.actor import Actor
from opsloop.services import registries
from opsloop.services.context import Platform
from opsloop.specs.workspace import RegistrySpec
from webhooks import Receiver, webhook_receiver

pytestmark = pytest.mark.postgres
LEASE_TTL_S = 3.0
EVENTS = 1000


def _start_server(postgres_url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "OPSLOOP_DATABASE_URL": postgres_url,
        "OPSLOOP_HOME": str(home),
        "OPSLOOP_ARTIFACT_URI": (home.parent / "artifacts").as_uri(),
        "OPSLOOP_LEASE_TTL_S": str(LEASE_TTL_S),
        "OPSLOOP_EVENT_POLL_INTERVAL_S": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_servers(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    # Replicas share the master key (webhook signing secrets are sealed with it).
    monkeypatch.setenv("OPSLOOP_MASTER_KEY", Fernet.generate_key().decode())
    # The schema and the owner first, so the two servers neither race to migrate nor both
    # find an empty store.
    owner = bootstrap_token(
        {**os.environ, "OPSLOOP_DATABASE_URL": postgres_url, "OPSLOOP_HOME": str(tmp_path / "m")}
    )
    monkeypatch.setenv("OPSLOOP_TOKEN", owner)  # the test's own calls send it
    servers = [_start_server(postgres_url, tmp_path / f"server-{i}") for i in range(2)]
    try:
        for process, url in servers:
            wait_healthy(url, process)
        yield servers
    finally:
        for process, _ in servers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def _distinct(receiver: Receiver, subscriber: str) -> int:
    return len(set(receiver.keys_by_subscriber().get(subscriber, [])))


def test_two_servers_deliver_each_event_once_and_survive_the_holder_dying(
    two_servers: list[tuple[subprocess.Popen[bytes], str]], postgres_url: str, tmp_path: Path
) -> None:
    (_, url), _ = two_servers
    platform = Platform(Settings(database_url=postgres_url, home=tmp_path / "producer"))
    with webhook_receiver() as receiver:
        for name, types in (("all", ["*"]), ("registries", ["registry.created"])):
            answer = httpx.post(
                f"{url}/api/v1/event-subscriptions",
                json={"name": name, "event_types": types, "webhook_url": receiver.url},
                headers={"authorization": f"Bearer {os.environ['OPSLOOP_TOKEN']}"},
            )
            assert answer.status_code == 201, answer.text
        started = time.monotonic()
        for batch in range(EVENTS // 100):  # 10 transactions of 100 events
            with platform.context(Actor(name="producer")) as ctx:
                for i in range(100):
                    registries.create_registry(ctx, RegistrySpec(name=f"r{batch}-{i}"))

        wait_until(lambda: _distinct(receiver, "subscription:all") >= 300, 120, "300 deliveries")
        holder, token, _ = lease_holders(platform.database)[EventDispatcher.lease_name]
        victim = next(p for p, _ in two_servers if f":{p.pid}:" in holder)
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        before = _distinct(receiver, "subscription:all")
        wait_until(lambda: _distinct(receiver, "subscription:all") > before + 5, 60, "a takeover")
        takeover_s = time.monotonic() - killed_at

        wait_until(
            # "all" also hears the second subscription being created.
            lambda: (
                _distinct(receiver, "subscription:all") == EVENTS + 1
                and _distinct(receiver, "subscription:registries") == EVENTS
            ),
            180,
            "every event at both subscribers",
        )
        delivered_s = time.monotonic() - started
        new_holder, new_token, _ = lease_holders(platform.database)[EventDispatcher.lease_name]

    assert new_holder != holder and new_token > token
    # Each dispatcher tick renews the lease, so the survivor takes over within its ttl.
    assert takeover_s < LEASE_TTL_S + 5, takeover_s
    for subscriber in ("subscription:all", "subscription:registries"):
        calls = [(k, e) for k, e in receiver.calls if k.startswith(f"{subscriber}/")]
        keys = [k for k, _ in calls]
        # At least once: a call in flight when the holder died may come again, no more.
        assert len(keys) - len(set(keys)) <= 1, len(keys) - len(set(keys))
        sequences = [e["sequence"] for _, e in calls]
        assert sequences == sorted(sequences)  # in order, per subscriber
        registry_events = [e for _, e in calls if e["type"] == "registry.created"]
        assert len({e["id"] for e in registry_events}) == EVENTS
    # The idempotent receiver acted once per (subscriber, event).
    assert len(receiver.acted) == 2 * EVENTS + 1 and set(receiver.acted.values()) == {1}
    print(f"takeover after {takeover_s:.1f} s; delivered in {delivered_s:.1f} s")
