"""Fixtures for serving tests: real MLflow models, a real store, a real runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opsloop import Client

COLUMNS = ["a", "b", "c"]

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


def save_linear_model(path: Path, coefficients: tuple[float, float, float]) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(100, 3)), columns=COLUMNS)
    target = features.to_numpy() @ np.array(coefficients)
    model = LinearRegression().fit(features, target)
    mlflow.sklearn.save_model(
        model,
        str(path),
        signature=infer_signature(features, model.predict(features)),
        input_example=features.head(2),
        pip_requirements=["scikit-learn"],
    )
    return path


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two versions of one model: y = a + 2b + 3c, then y = 10a."""
    root = tmp_path_factory.mktemp("models")
    return {
        "v1": save_linear_model(root / "v1", (1.0, 2.0, 3.0)),
        "v2": save_linear_model(root / "v2", (10.0, 0.0, 0.0)),
    }


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
