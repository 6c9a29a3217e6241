"""``opsloop worker``: run background work (event delivery, the job sweeper) for a store."""

from __future__ import annotations

import contextlib
import logging
import signal
from types import FrameType

import typer


def worker() -> None:
    """Deliver events to their subscribers and sweep jobs whose runner was lost, until
    stopped (Ctrl-C or SIGTERM).

    `opsloop server` already runs this beside the API; run more workers (or servers) for
    availability: each piece of work runs under a lease in the database, so exactly one
    process does it at a time and another takes over within OPSLOOP_LEASE_TTL_S seconds
    (15 by default) when it dies.

    Example: OPSLOOP_DATABASE_URL=postgresql://127.0.0.1/test opsloop worker
    """
    from opsloop.background.worker import Worker
    from opsloop.services.context import Platform

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    running = Worker(Platform())
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
