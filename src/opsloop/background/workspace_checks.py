"""The workspace checks: cost against budget and staleness, under the
``workspaces.checks`` lease, every ``workspace_checks_interval_s`` (an hour by default).

Each workspace is checked in its own transaction, which checks the lease first; an alert
is recorded once whatever runs it (``services.workspace_checks``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from opsloop.background.leases import Lease
from opsloop.services.context import Platform
from opsloop.services.workspace_checks import check_all

log = logging.getLogger(__name__)


class WorkspaceChecks:
    lease_name = "workspaces.checks"

    def __init__(self, platform: Platform, clock: Callable[[], datetime] | None = None) -> None:
        self.platform = platform
        self.clock = clock or (lambda: datetime.now(UTC))

    @property
    def interval_s(self) -> float:
        return self.platform.settings.workspace_checks_interval_s

    def run_once(self, lease: Lease) -> int:
        """Check every workspace; the number of alerts raised."""
        raised = check_all(self.platform, self.clock(), lease.guard)
        if raised:
            log.info("workspace checks raised %d alert(s)", raised)
        return raised
