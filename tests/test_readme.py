"""The README's CLI tour, serve block and SDK snippet, run as written on a fresh home.

The blocks are taken from README.md by their ``<!-- readme-test: NAME -->`` markers and
run in order in one scratch folder that looks like the repository root (``examples`` and
``.venv`` linked in), so what they write (``taxi.csv``, ``trips/``, ``./models``,
``./outputs``, ``./deploy``, ``.opsloop``) never lands in the checkout. The one change made to them: the
serve block's port 8000 becomes a free port, so that tests running side by side do not
collide.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import free_port
from opsloop.app.local_server import stop_local_server

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"<!-- readme-test: (\w+) -->\n```(\w+)\n(.*?)\n```", re.DOTALL)


def readme_blocks() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {name: (language, body) for name, language, body in _BLOCK.findall(text)}


def test_the_readme_marks_the_blocks_this_test_runs() -> None:
    blocks = readme_blocks()
    assert sorted(blocks) == ["sdk", "serve", "tour"]
    assert blocks["tour"][0] == blocks["serve"][0] == "bash"
    assert blocks["sdk"][0] == "python"


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the tour activates a virtualenv")
def test_the_readme_runs_as_written(tmp_path: Path) -> None:
    blocks = readme_blocks()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    serve = blocks["serve"][1].replace("8000", str(free_port()))
    script = "set -euo pipefail\n" + blocks["tour"][1] + "\n" + serve + "\n"
    # As a user runs it: the tour's calls after the first go to the home's local server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    try:
        shell = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        stop_local_server(tmp_path / ".opsloop")
    assert shell.returncode == 0, f"{shell.stdout[-6000:]}\n{shell.stderr[-6000:]}"
    assert "local server for" in (tmp_path / ".opsloop" / "local-server.log").read_text()
    out = shell.stdout
    # The streamed pipeline shows each step's state; the cancel waited for the stop.
    assert re.search(r"\[step\] train_model +Completed in \d", out), out[-3000:]
    assert '"status": "Completed"' in out  # job show -o json of first-run
    assert "Canceled" in out
    assert "2 step(s) would run, 2 would be reused." in out  # job validate after first-run
    assert re.search(r"Plan: \d+ to create, \d+ to update, 0 to delete", out), out[-3000:]
    assert (tmp_path / "models" / "taxi-fare-model-1" / "MLmodel").is_file()
    assert (tmp_path / "deploy").is_dir()
    assert (tmp_path / "outputs" / "first-run" / "trained_model" / "MLmodel").is_file()
    # The curl to /score answered predictions for the request's three trips.
    assert re.search(r"\[\s*[\d.]+,\s*[\d.]+,\s*[\d.]+\s*\]", out), out[-3000:]
    predictions = list((tmp_path / ".opsloop").rglob("predictions.csv"))
    assert predictions and len(predictions[0].read_text().splitlines()) >= 2000

    sdk = subprocess.run(
        [sys.executable, "-c", blocks["sdk"][1]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sdk.returncode == 0, sdk.stderr[-6000:]
    assert sdk.stdout.startswith("Completed [("), sdk.stdout
    assert "ran: not deterministic" in sdk.stdout  # evaluate reruns: it reads the registry
