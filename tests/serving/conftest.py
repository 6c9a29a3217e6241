"""Fixtures for serving tests: real MLflow models, a real store, a real runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsloop import Client

SCORE_SCRIPT = """
import json, os, time

def init():
    global model_dir
    model_dir = os.environ["OPSLOOP_MODEL_DIR"]

def run(raw_data):
    body = json.loads(raw_data)
    if body.get("fail"):
        raise RuntimeError("the script failed on purpose")
    time.sleep(body.get("sleep", 0))
    return {"echo": body.get("data"), "has_model": os.path.isdir(model_dir)}
"""


@pytest.fixture
def script_dir(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "score.py").write_text(SCORE_SCRIPT)
    return code


@pytest.fixture
def serving_client(client: Client, model_dirs: dict[str, Path]) -> Iterator[Client]:
    """A workspace with model ``lin`` versions 1 and 2 and endpoint ``ep`` (no deployments)."""
    client.models.create(name="lin", path=str(model_dirs["v1"]))
    client.models.create(name="lin", path=str(model_dirs["v2"]))
    client.online_endpoints.create(name="ep")
    yield client
