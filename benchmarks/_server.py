"""What the benchmarks that start `opsloop server` share: a free port, waiting for the
health check, and the platform owner's API token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def owner_token(env: dict[str, str]) -> str:
    """Made as a user would: `opsloop admin bootstrap` on a new store, or, on a store that
    has an owner already (a home reused with --home), a new token for it made embedded (the
    OS user owns its home)."""
    local = {k: v for k, v in env.items() if k not in ("OPSLOOP_URI", "OPSLOOP_TOKEN")}
    made = subprocess.run(
        [str(BIN / "opsloop"), "admin", "bootstrap", "-o", "json"],
        env=local,
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        made = subprocess.run(
            [str(BIN / "opsloop"), "token", "create", "admin", "-n", "benchmark", "-o", "json"],
            env=local,
            capture_output=True,
            text=True,
            check=True,
        )
    token: str = json.loads(made.stdout)["token"]
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(uri: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{uri}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"opsloop server at {uri} did not answer within {timeout:.0f} s")
