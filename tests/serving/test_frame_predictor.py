"""Models served through MLflow's pyfunc (columns of mixed types): a request that does not
fit the model's schema is the caller's mistake (422, MLflow's reason), never a model
failure (424)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers import bearer, serving_runtime, write
from opsloop import Client

# A model written as code (MLflow's models-from-code): nothing is pickled.
MODEL_CODE = """
import mlflow.pyfunc

class Fare(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        surcharge = (model_input["vendor"] == "b").astype(float)
        return (model_input["distance"] * 2 + surcharge).tolist()

mlflow.models.set_model(Fare())
"""


@pytest.fixture(scope="module")
def fare_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.models import infer_signature

    root = tmp_path_factory.mktemp("fare")
    example = pd.DataFrame({"distance": [1.5, 3.0], "hour": [7, 18], "vendor": ["a", "b"]})
    target = root / "model"
    mlflow.pyfunc.save_model(
        str(target),
        python_model=str(write(root / "fare.py", MODEL_CODE)),
        signature=infer_signature(example, [3.0, 7.0]),
        input_example=example,
    )
    return target


@pytest.fixture
def http(client: Client, fare_model: Path) -> Iterator[TestClient]:
    client.models.create(name="fare", path=str(fare_model))
    client.online_endpoints.create(name="ep")
    client.online_deployments.create(
        name="blue", endpoint_name="ep", model="fare:1", all_traffic=True
    )
    with TestClient(serving_runtime(client), headers=bearer(client)) as local:
        yield local


def test_schema_problems_are_the_callers_and_say_why(http: TestClient) -> None:
    good = {"input_data": {"columns": ["distance", "hour", "vendor"], "data": [[2.0, 9, "b"]]}}
    answer = http.post("/score", json=good)
    assert answer.status_code == 200 and answer.json() == [5.0]
    # A whole number for a double column is widened (MLflow alone refuses int64 2 or more).
    whole = {"input_data": {"columns": ["distance", "hour", "vendor"], "data": [[3, 9, "a"]]}}
    answer = http.post("/score", json=whole)
    assert answer.status_code == 200 and answer.json() == [6.0]

    missing = http.post("/score", json={"input_data": {"columns": ["distance"], "data": [[3.2]]}})
    assert missing.status_code == 422
    detail = missing.json()["detail"]  # MLflow's reason alone, not the data it quotes
    assert "missing inputs" in detail and "'hour', 'vendor'" in detail
    assert not detail.startswith("Failed to enforce") and "\n" not in detail

    wrong_type = {
        "input_data": {"columns": ["distance", "hour", "vendor"], "data": [["x", 1, "a"]]}
    }
    typed = http.post("/score", json=wrong_type)
    assert typed.status_code == 422 and "column distance" in typed.json()["detail"]
    assert "\n" not in typed.json()["detail"]

    narrow = http.post("/score", json={"input_data": [[1, 2, 3, 4]]})
    assert narrow.status_code == 422
    assert "do not match the columns ['distance', 'hour', 'vendor']" in narrow.json()["detail"]

    metrics = http.get("/metrics").text  # a client mistake is no model error (424)
    assert 'status_code="422"} 3.0' in metrics
    assert 'status_code="424"' not in metrics
