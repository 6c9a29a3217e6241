"""Small helpers for tests (importable thanks to pythonpath = tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "classical"


def opsloop(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSLOOP_HOME": str(home), "OPSLOOP_WORKSPACE": "dev", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"opsloop {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving_runtime(client: Any, endpoint: str = "ep", **options: float) -> Any:
    """The serving runtime over an embedded client's store, serving one endpoint."""
    from opsloop.serving.online.runtime import ServingRuntime
    from opsloop.serving.online.sources import StoreSource

    return ServingRuntime(
        StoreSource(client._transport.platform, endpoint=endpoint), single=endpoint, **options
    )


def bearer(client: Any, endpoint: str = "ep") -> dict[str, str]:
    """The Authorization header for an endpoint: its primary key, or a fresh token."""
    credentials = client.online_endpoints.get_credentials(endpoint)
    return {"authorization": f"Bearer {credentials.primary_key or credentials.access_token}"}


def assert_invalid(answer: Any, field: str) -> dict[str, Any]:
    """A 422 problem body that names ``field``."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["field"] == field, problem
    assert problem["detail"].startswith(f"{field}: "), problem
    return problem
