"""inference_runtime auto: ONNX Runtime where it predicts the same, the model's own otherwise.

The models are real: a linear model ONNX converts exactly, one whose answer is a difference
of two huge products (float32, which ONNX computes in, gets it wrong), one skl2onnx has no
converter for, one with a text input, one without an input example.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from helpers import bearer, serving_runtime
from opsloop import Client
from opsloop.errors import ValidationError
from opsloop.scoring.runtime_choice import choose_runtime
from opsloop.specs.endpoint import OnlineDeploymentSpec


def _save(path: Path, model: object, features: pd.DataFrame, *, example: bool = True) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    mlflow.sklearn.save_model(
        model, str(path),
        signature=infer_signature(features, model.predict(features)),  # type: ignore[attr-defined]
        input_example=features.head(2) if example else None,
        pip_requirements=["scikit-learn"],
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from sklearn.compose import make_column_transformer
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    root = tmp_path_factory.mktemp("runtime-models")
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    # 1e8 * (x - y) for x a hair above y: exact in float64, off by about 20% in float32.
    near = pd.DataFrame({"x": 1.0 + rng.uniform(1e-7, 2e-7, 40), "y": np.ones(40)})
    cancelling = LinearRegression().fit(near, 1e8 * (near["x"] - near["y"]))
    cancelling.coef_, cancelling.intercept_ = np.array([1e8, -1e8]), 0.0
    text = pd.DataFrame({"city": ["a", "b"] * 20, "km": rng.uniform(1, 9, 40)})
    encoded = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
        LinearRegression(),
    ).fit(text, text["km"] * 2)
    target = numbers.sum(axis=1)
    return {
        "cancelling": _save(root / "cancelling", cancelling, near),
        "kernel": _save(root / "kernel", KernelRidge().fit(numbers, target), numbers),
        "text": _save(root / "text", encoded, text),
        "no-example": _save(
            root / "no-example", LinearRegression().fit(numbers, target), numbers, example=False
        ),
    }


@pytest.fixture
def runtime_client(serving_client: Client, models: dict[str, Path]) -> Client:
    for name, path in models.items():
        serving_client.models.create(name=name, path=str(path))
    return serving_client


def _deploy(client: Client, model: str, *overrides: str, name: str = "blue") -> tuple[str, str]:
    deployment = client.online_deployments.create(
        name=name, endpoint_name="ep", model=model, all_traffic=True, overrides=list(overrides)
    )
    assert deployment.runtime is not None and deployment.runtime_reason is not None
    return deployment.runtime, deployment.runtime_reason


def test_auto_is_the_default_and_serves_onnx_when_it_matches(serving_client: Client) -> None:
    assert OnlineDeploymentSpec(name="d", endpoint_name="ep", model="m:1").inference_runtime == (
        "auto"
    )
    runtime, reason = _deploy(serving_client, "lin:1")
    assert runtime == "onnx"
    assert reason == (
        "auto: converted to ONNX, same predictions as the original on the input example"
    )
    shown = serving_client.online_deployments.get("blue", endpoint_name="ep")
    assert (shown.runtime, shown.runtime_reason, shown.spec["inference_runtime"]) == (
        "onnx", reason, "auto",
    )  # fmt: skip
    logs = serving_client.online_deployments.get_logs("blue", endpoint_name="ep")
    assert f"inference runtime onnx ({reason})" in logs
    key = serving_client.online_endpoints.get_credentials("ep").primary_key
    with TestClient(
        serving_runtime(serving_client), headers={"authorization": f"Bearer {key}"}
    ) as http:
        assert http.get("/v2/models/blue").json()["platform"] == "onnx"
        assert http.post("/score", json={"data": [[1.0, 2.0, 3.0]]}).json() == [
            pytest.approx(14.0, rel=1e-4)
        ]


def test_auto_falls_back_to_the_models_flavor_and_says_why(runtime_client: Client) -> None:
    expected = {
        "cancelling:1": ("sklearn", "auto: the ONNX model's predictions differ from the original"),
        "kernel:1": ("sklearn", "auto: skl2onnx cannot convert this model: Unable to find a shape"),
        "text:1": ("pyfunc", "auto: the model has non-numeric inputs"),
        "no-example:1": ("sklearn", "auto: the model has no input example to verify"),
    }
    for index, (model, (kind, reason)) in enumerate(expected.items()):
        runtime, said = _deploy(runtime_client, model, name=f"d{index}")
        assert runtime == kind and said.startswith(reason), (model, runtime, said)
    key = runtime_client.online_endpoints.get_credentials("ep").primary_key
    headers = {"authorization": f"Bearer {key}", "azureml-model-deployment": "d0"}
    with TestClient(serving_runtime(runtime_client), headers=headers) as http:
        row = {"x": 1.00000015, "y": 1.0}
        answer = http.post("/score", json={"input_data": [row]})
        assert answer.json() == [pytest.approx(15.0, rel=1e-6)]  # float64: the original's


def test_pinned_onnx_still_refuses_what_auto_falls_back_from(runtime_client: Client) -> None:
    for model, message in (
        ("cancelling:1", "predictions differ from the original"),
        ("kernel:1", "skl2onnx cannot convert this model"),
        ("text:1", "non-numeric inputs"),
        ("no-example:1", "no input example to verify a conversion against; log the model"),
    ):
        with pytest.raises(ValidationError, match=message) as caught:
            _deploy(runtime_client, model, "inference_runtime=onnx")
        assert caught.value.field == "--set inference_runtime"  # where the user wrote it
    assert runtime_client.online_deployments.list(endpoint_name="ep") == []


def test_pinned_native_and_its_sklearn_alias_never_convert(serving_client: Client) -> None:
    assert _deploy(serving_client, "lin:1", "inference_runtime=native") == (
        "sklearn", "native: the model's own flavor, as pinned",
    )  # fmt: skip
    _deploy(serving_client, "lin:1", "inference_runtime=sklearn", name="green")
    green = serving_client.online_deployments.get("green", endpoint_name="ep")
    assert (green.spec["inference_runtime"], green.runtime) == ("native", "sklearn")
    with TestClient(serving_runtime(serving_client), headers=bearer(serving_client)) as http:
        assert http.get("/v2/models/green").json()["platform"] == "sklearn"
    with pytest.raises(ValidationError, match="'auto', 'native' or 'onnx'") as caught:
        _deploy(serving_client, "lin:1", "inference_runtime=fast", name="red")
    assert caught.value.field == "--set inference_runtime"  # where the user wrote it


def test_a_scoring_script_runs_under_auto(serving_client: Client, script_dir: Path) -> None:
    deployment = serving_client.online_deployments.create(
        name="script", endpoint_name="ep", model="lin:1",
        code_configuration={"code": str(script_dir), "scoring_script": "score.py"},
    )  # fmt: skip
    assert deployment.runtime == "script"
    assert deployment.runtime_reason == (
        "auto: the scoring script (code_configuration) calls the model itself"
    )


def test_without_the_onnx_packages_auto_serves_natively(
    serving_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # as if it were not installed
    assert _deploy(serving_client, "lin:1") == ("sklearn", "auto: onnx extra not installed")
    with pytest.raises(ValidationError, match=r"onnx extra not installed \(pip install"):
        _deploy(serving_client, "lin:1", "inference_runtime=onnx", name="green")


def test_choose_runtime_is_what_batch_scoring_can_call(
    model_dirs: dict[str, Path], models: dict[str, Path], tmp_path: Path
) -> None:
    chosen = choose_runtime("auto", model_dirs["v1"], tmp_path)
    assert chosen.runtime == "onnx" and chosen.onnx_path == tmp_path / "model.onnx"
    assert chosen.onnx_path.is_file()
    fallback = choose_runtime("auto", models["cancelling"], tmp_path / "other")
    assert (fallback.runtime, fallback.onnx_path) == ("sklearn", None)
    with pytest.raises(ValidationError, match="custom_model needs a code_configuration"):
        choose_runtime("auto", model_dirs["v1"], tmp_path, model_type="custom_model")
