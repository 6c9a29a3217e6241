"""Records just-in-time elevations that reached their expiry as ``elevation.expired``
events and removes their assignments. Enforcement does not wait for it: the authoriser
reads only live assignments, so an elevation stops working at its expiry exactly."""

from __future__ import annotations

import logging

from opsloop.background.leases import Lease
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services.context import Platform
from opsloop.services.elevations import record_expiries

log = logging.getLogger(__name__)


class ElevationExpiry:
    lease_name = "elevations.expiry"

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def interval_s(self) -> float:
        return self.platform.settings.sweep_interval_s

    def run_once(self, lease: Lease) -> int:
        with self.platform.context(SYSTEM_ACTOR) as ctx:
            lease.guard(ctx.session)
            expired = record_expiries(ctx)
        for elevation in expired:
            log.info("elevation %s expired", elevation)
        return len(expired)
