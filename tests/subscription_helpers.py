"""Shared by the subscription action tests (importable thanks to pythonpath = tests): an
event type shaped like the monitors' alert, declared for a test only, and dispatch passes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from opsloop.background.dispatcher import FAULT_ENV, EventDispatcher
from opsloop.background.leases import Lease
from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EVENT_TYPES, EventPayload
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import subscriptions
from opsloop.services.context import Platform

# Declared by this test only (the monitors declare the real monitor.alerted): the shape
# their alert's data has.
FIXTURE_TYPE = "test_fixture.monitor_alerted"


@pytest.fixture
def alert_type() -> Iterator[str]:
    class MonitorAlertedFixture(EventPayload):
        event_type: ClassVar[str] = FIXTURE_TYPE
        resource_type: ClassVar[str] = "monitors"
        description: ClassVar[str] = "Test fixture: a monitor's alert."
        monitor: str
        run: str
        endpoint: str
        deployment: str
        breaches: list[dict[str, Any]]
        features: list[str]
        report: str
        production_data: str
        items: list[Any] | None = None  # the label action's items, when an event has them

    try:
        yield FIXTURE_TYPE
    finally:
        EVENT_TYPES.pop(FIXTURE_TYPE, None)


def emit_alert(
    platform: Platform,
    workspace: str,
    production_data: str,
    endpoint: str = "taxi-fare",
    items: list[Any] | None = None,
) -> None:
    payload = EVENT_TYPES[FIXTURE_TYPE](
        monitor="fare-drift", run="run-7", endpoint=endpoint, deployment="blue",
        breaches=[{"signal": "data_drift", "feature": "distance", "metric":
                   "normalized_wasserstein_distance", "value": 0.31, "threshold": 0.1}],
        features=["distance"], report="file:///reports/run-7.html",
        production_data=production_data, items=items,
    )  # fmt: skip
    with platform.context(SYSTEM_ACTOR) as ctx:
        ctx.record(
            Action.JOBS_WRITE, workspace=workspace, target="monitor:fare-drift", event=payload
        )


def dispatcher(platform: Platform) -> Callable[[], int]:
    """One dispatch pass per call, under one lease."""
    lease = Lease(platform.database, EventDispatcher.lease_name, "test", ttl_s=60)
    assert lease.acquire()
    passes = EventDispatcher(platform)
    return lambda: passes.run_once(lease)


def start_worker(home: Path, log: Path, fault: str | None = None) -> subprocess.Popen[bytes]:
    """A real `opsloop worker` process on the test's home; ``fault``: the dispatcher's
    test hook (``crash_before_commit``)."""
    env = {**os.environ, "OPSLOOP_HOME": str(home), "OPSLOOP_LEASE_TTL_S": "1",
           "OPSLOOP_EVENT_POLL_INTERVAL_S": "0.1"}  # fmt: skip
    if fault:
        env[FAULT_ENV] = fault
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "opsloop.cli.main", "worker"], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def crash_then_redeliver(
    platform: Platform, home: Path, log: Path, subscription: str, left_nothing: Callable[[], bool]
) -> None:
    """A worker killed between the effect and the commit, then a second worker that
    delivers: the first must leave nothing (``left_nothing``: no effect in the store); the
    test then checks the second acted once."""
    crashing = start_worker(home, log, fault="crash_before_commit")
    assert crashing.wait(timeout=120) == -signal.SIGKILL, log.read_text()
    assert "killing this process before the commit" in log.read_text()
    assert left_nothing()
    with platform.context(SYSTEM_ACTOR) as ctx:
        assert subscriptions.list_deliveries(ctx, subscription) == []
        position = subscriptions.get_subscription(ctx, subscription).position
    second = start_worker(home, log)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with platform.context(SYSTEM_ACTOR) as ctx:
                if subscriptions.get_subscription(ctx, subscription).position > position:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the second worker delivered nothing:\n{log.read_text()}")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
