"""Promotion drivers: ``python -m opsloop.background.promotions <id>`` moves one promotion
on until it waits for a person or ends, under the lease ``promotion:<id>`` so that two
drivers never move the same promotion; the worker's ``PromotionSupervisor`` starts a driver
for any active promotion whose lease has lapsed (its driver died, the server restarted).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from opsloop.background.leases import Lease, LeaseLostError, lease_expiries, new_holder_name
from opsloop.config import Settings
from opsloop.execution.launcher import launch_detached
from opsloop.services.context import Platform
from opsloop.services.promotion_flow import advance_promotion
from opsloop.services.promotions import (
    ACTIVE,
    AWAITING_APPROVAL,
    DRIVER,
    promotions_a_driver_may_move,
)

log = logging.getLogger(__name__)


def lease_name(promotion_id: str) -> str:
    return f"promotion:{promotion_id}"


def drive_under_lease(platform: Platform, promotion_id: str) -> str | None:
    """Drive the promotion while holding its lease; None if another driver holds it."""
    lease = Lease(
        platform.database, lease_name(promotion_id), new_holder_name(),
        platform.settings.lease_ttl_s,
    )  # fmt: skip
    if not lease.acquire():
        return None
    try:
        with _renewed(lease):
            while True:
                state = advance_promotion(platform, promotion_id, lease.guard)
                if state not in ACTIVE or state == AWAITING_APPROVAL:
                    return state
                if not lease.held:  # lost while renewing: another driver goes on
                    return None
    except LeaseLostError:
        log.warning("lease of promotion %s lost; another driver carries on", promotion_id)
        return None
    finally:
        lease.release()


@contextmanager
def _renewed(lease: Lease) -> Iterator[None]:
    """Keep renewing ``lease`` while a step runs: a gate that loads models or a rollout
    that provisions one can take longer than the lease lasts."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease.ttl.total_seconds() / 4):
            try:
                if not lease.acquire():
                    return
            except Exception:  # the store is briefly away: the guard decides later
                log.warning("could not renew lease %s", lease.name, exc_info=True)

    thread = threading.Thread(target=renew, name=f"renew-{lease.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class PromotionSupervisor:
    """Starts a driver for each active promotion that has none (its lease lapsed), and for
    each awaiting an approval that has been decided or has expired."""

    lease_name = "promotions.supervisor"

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def interval_s(self) -> float:
        return max(1.0, self.platform.settings.sweep_interval_s)

    def run_once(self, lease: Lease) -> int:
        now = datetime.now(UTC)
        started = 0
        with self.platform.database.transaction() as session:
            lease.guard(session)
            candidates = promotions_a_driver_may_move(session, now)
            expiries = lease_expiries(session, [lease_name(c.id) for c in candidates])
        for candidate in candidates:
            expires = expiries.get(lease_name(candidate.id))
            if expires is not None and expires > now:
                continue  # a driver is at it
            promotion_id, name, workspace = candidate.id, candidate.name, candidate.workspace
            folder = self.platform.settings.resolved_home() / "promotions" / workspace / name
            launch_detached(self.platform.settings, DRIVER, [promotion_id], folder)
            started += 1
        return started


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    promotion_id = sys.argv[1]
    platform = Platform(Settings())
    state = drive_under_lease(platform, promotion_id)
    log.info("promotion %s: %s", promotion_id, state or "driven elsewhere")


if __name__ == "__main__":
    main()
