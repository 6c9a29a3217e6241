"""Process groups of steps: each step runs in its own session, so its process group id is
its pid, and ending the group ends whatever the step started (shells, workers, ``&`` jobs).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path

GRACE_S = 5.0
_PROC = Path("/proc")


def this_host() -> str:
    """The name recorded beside a pid, so only a process on the same host signals it."""
    return socket.gethostname()


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in the group. Reads /proc where there is one, since a
    zombie answers ``kill(pid, 0)`` as if it were alive."""
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        # The command name may hold spaces and parentheses: fields follow the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def end_process_groups(
    pgids: Iterable[int], grace_s: float = GRACE_S, reap: Callable[[], object] | None = None
) -> list[int]:
    """SIGTERM each group, wait up to ``grace_s`` for all of them to empty, then SIGKILL
    what is left. ``reap`` is called while waiting (the parent's ``Popen.poll``) so the
    group leader does not linger as a zombie. Returns the groups that were signalled."""
    signalled = [pgid for pgid in pgids if _signal(pgid, signal.SIGTERM)]
    deadline = time.monotonic() + grace_s
    while signalled and time.monotonic() < deadline:
        if reap is not None:
            reap()
        if not any(group_members(pgid) for pgid in signalled):
            return signalled
        time.sleep(0.05)
    for pgid in signalled:
        _signal(pgid, signal.SIGKILL)
    return signalled


def _signal(pgid: int, signum: int) -> bool:
    if pgid <= 1:  # never the whole session of init, nor "every process" (0 and -1)
        return False
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True
