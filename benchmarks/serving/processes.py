"""Server processes: start and stop process groups, free ports, CPU accounting, log tails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

_LIVE: list[subprocess.Popen] = []


def start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start a server in its own session (process group) so the whole tree can be killed."""
    with open(log, "wb") as f:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )
    _LIVE.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no worker of its group survives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        break
    if proc in _LIVE:
        _LIVE.remove(proc)


def stop_all() -> None:
    for proc in list(_LIVE):
        stop(proc)


def on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of a server's live processes (Linux /proc): its process group,
    and any descendant that runs in a group of its own (opsloop's traffic-log writer does,
    so that signals meant for the server do not reach it)."""
    parents: dict[int, int] = {}
    groups: dict[int, int] = {}
    seconds: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(entry)
        parents[pid], groups[pid] = int(fields[1]), int(fields[2])
        seconds[pid] = int(fields[11]) + int(fields[12])

    def in_server(pid: int) -> bool:
        while pid > 1:
            if groups.get(pid) == pgid:
                return True
            pid = parents.get(pid, 0)
        return False

    total = sum(ticks for pid, ticks in seconds.items() if in_server(pid))
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent busy on all cores since boot (/proc/stat, minus idle and iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Wait (up to max_wait s) until the machine's busy cores over 1 s are below threshold."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        busy = (machine_busy_seconds() - b0) / (time.monotonic() - t0)
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
