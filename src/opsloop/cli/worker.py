"""``opsloop worker``: run background work (event delivery, the job sweeper, schedules,
workspace cost and staleness checks) for a store."""

from __future__ import annotations

import contextlib
import logging
import signal
from types import FrameType

import typer


def worker() -> None:
    """Deliver events to subscribers, sweep jobs whose runner was lost, fire due schedules
    and check workspaces' cost and staleness, until stopped.

    `opsloop server` runs the same work beside the API. Any number of workers and servers may run: each piece of work holds a lease in the database, and another process takes it over within OPSLOOP_LEASE_TTL_S seconds (15) when its holder dies.

    Example: OPSLOOP_DATABASE_URL=postgresql://127.0.0.1/test opsloop worker
    """
    from opsloop.background.worker import Worker
    from opsloop.services.context import Platform

    platform = Platform()  # migrations first: their own log lines are not the worker's
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    running = Worker(platform)
    names = ", ".join(task.lease_name for task in running.tasks)
    typer.echo(f"opsloop worker {running.holder}: {names}")

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        running.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    running.start()
    with contextlib.suppress(KeyboardInterrupt):
        running.wait()
    running.stop()
    typer.echo("opsloop worker stopped; leases released")
