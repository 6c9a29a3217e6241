"""The scheduler: fires due schedules under the ``schedules.scheduler`` lease.

Each pass reads the schedules whose next tick has come and fires each one in its own
transaction (``services.schedule_fires``), which checks the lease first. So when several
workers run against one store, one of them fires, and a tick fires once: a worker that
paused past its lease's expiry finds its fencing token stale and its fire rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from opsloop.background.leases import Lease
from opsloop.services.context import Platform
from opsloop.services.schedule_fires import Fired, due_schedules, fire_schedule

log = logging.getLogger(__name__)


class Scheduler:
    lease_name = "schedules.scheduler"

    def __init__(self, platform: Platform, clock: Callable[[], datetime] | None = None) -> None:
        self.platform = platform
        self.clock = clock or (lambda: datetime.now(UTC))
        self.fired: list[Fired] = []  # this process's fires, newest last (for tests, status)

    @property
    def interval_s(self) -> float:
        return self.platform.settings.schedule_interval_s

    def run_once(self, lease: Lease) -> int:
        """Fire every due schedule; the number of fires made."""
        now = self.clock()
        count = 0
        for schedule_id in due_schedules(self.platform, now):
            # Renews once a third of the lease has passed, so a long pass keeps it; if
            # another holder has it now, the rest is theirs.
            if not lease.acquire():
                break
            fired = fire_schedule(self.platform, schedule_id, now, lease.guard)
            if fired is None:
                continue
            count += 1
            self.fired = [*self.fired[-99:], fired]
            if fired.error:
                log.warning(
                    "schedule %s tick %s failed: %s", fired.schedule, fired.tick_at, fired.error
                )
            else:
                log.info(
                    "schedule %s tick %s created %s", fired.schedule, fired.tick_at, fired.created
                )
        return count
