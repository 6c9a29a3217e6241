"""Ending process groups, on real processes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from opsloop.execution.processes import end_process_groups, group_members


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    # The trap is inherited: neither bash nor its background sleepers end on SIGTERM.
    process = subprocess.Popen(
        ["bash", "-c", 'trap "" TERM; sleep 30 & sleep 30 & wait'], start_new_session=True
    )
    deadline = time.monotonic() + 10
    while len(group_members(process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(group_members(process.pid)) == 3
    started = time.monotonic()
    assert end_process_groups([process.pid], grace_s=0.5, reap=process.poll) == [process.pid]
    process.wait(timeout=5)
    deadline = time.monotonic() + 5
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(process.pid) == []
    assert time.monotonic() - started < 5


def test_zombies_do_not_count_and_nothing_is_signalled_twice() -> None:
    process = subprocess.Popen(["true"], start_new_session=True)
    deadline = time.monotonic() + 5
    while "Z" not in Path(f"/proc/{process.pid}/stat").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(process.pid) == []  # unreaped, so /proc still lists it
    process.wait()
    assert end_process_groups([process.pid]) == []  # gone: nothing to signal
    assert end_process_groups([0, 1, -1]) == []  # never "everyone" nor init's group
