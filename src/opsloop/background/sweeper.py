"""The job sweeper: fails jobs whose runner stopped heart-beating ("runner lost") and ends
their step processes.

Its lease is per host (``jobs.sweeper:<host>``): failing a job is safe from several
processes at once (``sweep_lost_runners`` re-reads each job under a row lock), and only a
process on the host where a step ran can end that step's process group. So each host with
a worker sweeps, one process per host.
"""

from __future__ import annotations

import logging
import socket

from opsloop.background.leases import Lease
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import jobs
from opsloop.services.context import Platform

log = logging.getLogger(__name__)


class JobSweeper:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.lease_name = f"jobs.sweeper:{socket.gethostname()}"

    @property
    def interval_s(self) -> float:
        return self.platform.settings.sweep_interval_s

    def run_once(self, lease: Lease) -> int:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            lease.guard(ctx.session)
            swept = jobs.sweep_lost_runners(ctx)
        for name in swept:
            log.warning("job %s failed: runner lost", name)
        return len(swept)
