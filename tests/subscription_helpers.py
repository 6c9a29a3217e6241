"""Shared by the subscription action tests (importable thanks to pythonpath = tests): an
event type shaped like the monitors' alert, declared for a test only, and dispatch passes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from opsloop.background.dispatcher import EventDispatcher
from opsloop.background.leases import Lease
from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EVENT_TYPES, EventPayload
from opsloop.security.actor import SYSTEM_ACTOR
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

    try:
        yield FIXTURE_TYPE
    finally:
        EVENT_TYPES.pop(FIXTURE_TYPE, None)


def emit_alert(
    platform: Platform, workspace: str, production_data: str, endpoint: str = "taxi-fare"
) -> None:
    payload = EVENT_TYPES[FIXTURE_TYPE](
        monitor="fare-drift", run="run-7", endpoint=endpoint, deployment="blue",
        breaches=[{"signal": "data_drift", "feature": "distance", "metric":
                   "normalized_wasserstein_distance", "value": 0.31, "threshold": 0.1}],
        features=["distance"], report="file:///reports/run-7.html",
        production_data=production_data,
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
