"""What each measured process reports: its wall time and its peak resident memory."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(payload: dict[str, Any]) -> None:
    """One JSON line on stdout, read by run.py."""
    payload["peak_rss_mb"] = round(peak_rss_mb(), 1)
    json.dump(payload, sys.stdout)
    sys.stdout.write("\n")
