"""What each measured process reports: its wall and CPU time and its peak resident memory."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(payload: dict[str, Any]) -> None:
    """One JSON line on stdout, read by run.py."""
    payload["peak_rss_mb"] = round(peak_rss_mb(), 1)
    payload["cpu_seconds"] = round(cpu_seconds(), 2)
    json.dump(payload, sys.stdout)
    sys.stdout.write("\n")
