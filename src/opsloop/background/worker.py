"""The worker: runs each background task in its own thread, under its own lease.

``opsloop worker`` runs one in the foreground; ``opsloop server`` runs one beside the API.
Any number may run against one store: for each task, the process holding its lease does
the work, and the others wait to take over if that process dies (within ``lease_ttl_s``).
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from opsloop.background.leases import Lease, LeaseLostError, new_holder_name
from opsloop.services.context import Platform

log = logging.getLogger(__name__)


class BackgroundTask(Protocol):
    """One piece of background work: a pass every ``interval_s`` under ``lease_name``."""

    lease_name: str

    @property
    def interval_s(self) -> float: ...

    def run_once(self, lease: Lease) -> int:
        """Do what is due; every write made checks ``lease.guard`` in its transaction."""
        ...


def default_tasks(platform: Platform) -> list[BackgroundTask]:
    from opsloop.background.dispatcher import EventDispatcher
    from opsloop.background.elevation_expiry import ElevationExpiry
    from opsloop.background.promotions import PromotionSupervisor
    from opsloop.background.scheduler import Scheduler
    from opsloop.background.sweeper import JobSweeper
    from opsloop.background.workspace_checks import WorkspaceChecks

    return [
        EventDispatcher(platform),
        JobSweeper(platform),
        PromotionSupervisor(platform),
        ElevationExpiry(platform),
        Scheduler(platform),
        WorkspaceChecks(platform),
    ]


class Worker:
    def __init__(
        self,
        platform: Platform,
        tasks: list[BackgroundTask] | None = None,
        holder: str | None = None,
    ) -> None:
        self.platform = platform
        self.tasks = tasks if tasks is not None else default_tasks(platform)
        self.holder = holder or new_holder_name()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.leases = {
            task.lease_name: Lease(
                platform.database, task.lease_name, self.holder, platform.settings.lease_ttl_s
            )
            for task in self.tasks
        }

    def start(self) -> None:
        for task in self.tasks:
            thread = threading.Thread(
                target=self._loop, args=(task,), name=f"opsloop-{task.lease_name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the passes under way, then give the leases up so others take over now."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        for lease in self.leases.values():
            try:
                lease.release()
            except Exception:  # the store may be gone already at shutdown
                log.warning("could not release lease %s", lease.name, exc_info=True)

    def request_stop(self) -> None:
        """Ask the loops to end after their current pass (safe from a signal handler)."""
        self._stop.set()

    def wait(self) -> None:
        while not self._stop.wait(1.0):
            pass

    def _loop(self, task: BackgroundTask) -> None:
        lease = self.leases[task.lease_name]
        was_holding = False
        while not self._stop.is_set():
            try:
                holding = lease.acquire()
                if holding != was_holding:
                    log.info(
                        "%s %s lease %s", self.holder, "took" if holding else "lost", lease.name
                    )
                    was_holding = holding
                if holding:
                    task.run_once(lease)
            except LeaseLostError:
                log.info("%s lost lease %s during a pass", self.holder, lease.name)
                was_holding = False
            except Exception:  # a failing pass must not end the worker: log, try again
                log.exception("background task %s failed", task.lease_name)
            self._stop.wait(task.interval_s)
