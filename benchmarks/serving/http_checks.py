"""HTTP checks against a server: requests, readiness, and comparing its predictions."""

from __future__ import annotations

import contextlib
import json
import math
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from processes import log_tail


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 5
) -> tuple[int, bytes]:
    status, answer, _ = http_with_headers(url, body, headers, timeout)
    return status, answer


def http_with_headers(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 5
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers with lower-case names)."""
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read(), {k.lower(): v for k, v in e.headers.items()}


def wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_tail(log)}")
        with contextlib.suppress(OSError):
            if http(url, timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout:.0f} s ({url}):\n{log_tail(log)}")


def predictions(raw: bytes) -> list:
    doc = json.loads(raw)
    if isinstance(doc, dict):
        for key in ("predictions", "outputs", "output"):
            if key in doc:
                doc = doc[key]
                break
    if isinstance(doc, dict) and "predictions" in doc:
        doc = doc["predictions"]
    return doc if isinstance(doc, list) else [doc]


def same(got: list, want: list) -> bool:
    def flat(x: object) -> list:
        if isinstance(x, list):
            return [y for item in x for y in flat(item)]
        if isinstance(x, dict):
            return [y for item in x.values() for y in flat(item)]
        return [x]

    a, b = flat(got), flat(want)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, int | float) and isinstance(y, int | float):
            if not math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-6):
                return False
        elif str(x) != str(y):
            return False
    return True
