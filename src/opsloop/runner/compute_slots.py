"""``max_instances`` of a local compute: a step runs only while it holds one of the
compute's slots, a lock file per instance under the home folder. Locks are the operating
system's (``flock``), so a runner that dies frees its slot at once, and the limit holds
across every runner on this host, whichever job they run."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

from opsloop.execution.plan import ComputePlan

_RETRY_S = 0.2


class ComputeSlot:
    """A held slot; ``release`` (or the process ending) frees it."""

    def __init__(self, descriptor: int | None) -> None:
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the file drops its lock
            self._descriptor = None


def acquire_slot(
    home: Path,
    workspace: str,
    compute: ComputePlan,
    cancel: threading.Event,
    on_wait: Callable[[], None],
) -> ComputeSlot | None:
    """Take a free slot of ``compute``, waiting (``on_wait`` is called once) until one is
    free; None if ``cancel`` is set first. A compute without ``max_instances`` has no limit."""
    if compute.max_instances is None:
        return ComputeSlot(None)
    folder = home / "computes" / workspace / compute.name
    folder.mkdir(parents=True, exist_ok=True)
    waited = False
    while not cancel.is_set():
        for index in range(compute.max_instances):
            descriptor = os.open(folder / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            return ComputeSlot(descriptor)
        if not waited:
            on_wait()
            waited = True
        cancel.wait(_RETRY_S)
    return None
