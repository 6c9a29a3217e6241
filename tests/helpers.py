"""Small helpers for tests (importable thanks to pythonpath = tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
