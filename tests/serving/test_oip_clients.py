"""The Open Inference Protocol with the clients people already use, as they use them:
NVIDIA's ``tritonclient.http`` (binary tensors both ways by default, and JSON) and KServe's
``InferenceRESTClient`` (protocol v2), against a real server. Two models: the classical
example's taxi-fare pipeline (numeric and text columns, MLflow pyfunc) and a numeric
scikit-learn model on ONNX Runtime; each answer must be what the same model predicts in
this process."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers import EXAMPLE, import_path, serve_in_thread, serving_runtime
from opsloop import Client

httpclient = pytest.importorskip("tritonclient.http")
from tritonclient.utils import InferenceServerException, triton_to_np_dtype  # noqa: E402

ENDPOINT = "taxi-fare-online"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "endpoints.md"
TRIPS = json.loads((EXAMPLE / "mlops/azureml/deploy/online/score-request.json").read_text())


@dataclass
class Served:
    url: str
    key: str
    taxi: Any  # the fitted pipeline, in this process
    linear: Any  # the numeric model, loaded in this process

    @property
    def host(self) -> str:  # tritonclient takes host:port
        return self.url.removeprefix("http://")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, model_dirs: dict[str, Path]
) -> Iterator[Served]:
    """Endpoint taxi-fare-online: deployment blue (the taxi pipeline, all traffic) and
    deployment fast (y = a + 2b + 3c on ONNX Runtime, reached by naming it)."""
    import mlflow.sklearn

    root = tmp_path_factory.mktemp("oip")
    generate = import_path(EXAMPLE / "data" / "generate.py")
    train = import_path(EXAMPLE / "data-science" / "src" / "train.py")
    data = generate.generate_taxi_data(400, seed=0)
    features = data[train.NUMERIC + train.CATEGORICAL]
    taxi = train.build_pipeline(n_estimators=10, max_depth=6, random_state=0)
    taxi.fit(features, data[train.TARGET])
    train.save_mlflow_model(taxi, features.head(5), root / "taxi")
    with Client(home=root / "home", workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.models.create(name="taxi-fare-model", path=str(root / "taxi"))
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        client.online_endpoints.create(name=ENDPOINT)
        client.online_deployments.create(
            name="blue", endpoint_name=ENDPOINT, model="taxi-fare-model:1", all_traffic=True
        )
        client.online_deployments.create(
            name="fast", endpoint_name=ENDPOINT, model="lin:1",
            overrides=["inference_runtime=onnx"],
        )  # fmt: skip
        key = client.online_endpoints.get_credentials(ENDPOINT).primary_key
        url, stop = serve_in_thread(serving_runtime(client, ENDPOINT))
        try:
            linear = mlflow.sklearn.load_model(str(model_dirs["v1"]))
            yield Served(url, key, taxi, linear)
        finally:
            stop()


def trips() -> pd.DataFrame:
    return pd.DataFrame(TRIPS["input_data"]["data"], columns=TRIPS["input_data"]["columns"])


def column_inputs(frame: pd.DataFrame, metadata: dict[str, Any], binary: bool) -> list[Any]:
    """One tritonclient tensor per column, typed as the model's metadata says."""
    inputs = []
    for tensor in metadata["inputs"]:
        values = frame[tensor["name"]].to_numpy()
        array = values.astype(triton_to_np_dtype(tensor["datatype"]))
        infer_input = httpclient.InferInput(tensor["name"], [len(frame)], tensor["datatype"])
        infer_input.set_data_from_numpy(array, binary_data=binary)
        inputs.append(infer_input)
    return inputs


def test_tritonclient_with_its_defaults_binary_in_and_out(served: Served) -> None:
    client = httpclient.InferenceServerClient(served.host)
    headers = served.headers
    assert client.is_server_live(headers=headers) and client.is_server_ready(headers=headers)
    assert client.is_model_ready(ENDPOINT, headers=headers)
    server = client.get_server_metadata(headers=headers)
    assert server["name"] == "opsloop" and "binary_tensor_data" in server["extensions"]
    metadata = client.get_model_metadata(ENDPOINT, headers=headers)
    assert metadata["name"] == ENDPOINT and metadata["parameters"]["deployment"] == "blue"
    types = {tensor["name"]: tensor["datatype"] for tensor in metadata["inputs"]}
    assert types["distance"] == "FP64" and types["passengers"] == "INT64"
    assert types["vendor"] == "BYTES"

    frame = trips()
    inputs = column_inputs(frame, metadata, binary=True)  # set_data_from_numpy's default
    assert all(infer_input._get_binary_data() for infer_input in inputs)
    result = client.infer(ENDPOINT, inputs, headers=headers)
    output = result.get_output("predict")
    assert "data" not in output and output["parameters"]["binary_data_size"] == 8 * len(frame)
    np.testing.assert_allclose(result.as_numpy("predict"), served.taxi.predict(frame))
    assert result.get_response()["model_name"] == ENDPOINT


def test_tritonclient_with_json_tensors(served: Served) -> None:
    client = httpclient.InferenceServerClient(served.host)
    metadata = client.get_model_metadata(ENDPOINT, headers=served.headers)
    frame = pd.concat([trips()] * 4, ignore_index=True)
    frame["vendor"] = ["A", "B", "C", "Zürich"] * 3  # text beyond ASCII, unseen in training
    result = client.infer(
        ENDPOINT,
        column_inputs(frame, metadata, binary=False),
        outputs=[httpclient.InferRequestedOutput("predict", binary_data=False)],
        request_id="trip-batch-7",
        headers=served.headers,
    )
    assert result.get_output("predict")["data"]
    assert result.get_response()["id"] == "trip-batch-7"
    np.testing.assert_allclose(result.as_numpy("predict"), served.taxi.predict(frame))


def test_tritonclient_on_the_onnx_deployment(served: Served) -> None:
    client = httpclient.InferenceServerClient(served.host)
    metadata = client.get_model_metadata("fast", headers=served.headers)
    assert metadata["name"] == "fast" and metadata["platform"] == "onnx"
    matrix = np.random.default_rng(3).normal(size=(50, 3))
    expected = served.linear.predict(matrix)
    for datatype, binary in (("FP32", True), ("FP64", True), ("FP64", False)):
        infer_input = httpclient.InferInput("x", list(matrix.shape), datatype)
        infer_input.set_data_from_numpy(matrix.astype(triton_to_np_dtype(datatype)), binary)
        outputs = [httpclient.InferRequestedOutput("predict", binary_data=binary)]
        result = client.infer("fast", [infer_input], outputs=outputs, headers=served.headers)
        assert ("data" in result.get_output("predict")) is not binary
        np.testing.assert_allclose(result.as_numpy("predict"), expected, rtol=1e-5, atol=1e-5)
    # One binary tensor per column works too.
    columns = []
    for index, name in enumerate(("a", "b", "c")):
        column = httpclient.InferInput(name, [len(matrix)], "FP64")
        column.set_data_from_numpy(matrix[:, index].copy())
        columns.append(column)
    result = client.infer("fast", columns, headers=served.headers)
    np.testing.assert_allclose(result.as_numpy("predict"), expected, rtol=1e-5, atol=1e-5)


def test_tritonclient_sees_the_reason_of_a_refusal(served: Served) -> None:
    client = httpclient.InferenceServerClient(served.host)
    narrow = httpclient.InferInput("x", [1, 2], "FP64")
    narrow.set_data_from_numpy(np.ones((1, 2)))
    with pytest.raises(InferenceServerException, match="input columns") as refused:
        client.infer("fast", [narrow], headers=served.headers)
    assert refused.value.status() == "422"
    with pytest.raises(InferenceServerException, match="missing or invalid credentials"):
        client.infer("fast", [narrow])


# KServe's SDK pins pandas<3, so it runs in a virtualenv of its own (scripts/test makes
# .venv-kserve): this script is the client, fed the trips and a matrix on stdin.
KSERVE_CLIENT = """
import asyncio, json, sys
import numpy as np
import kserve
from kserve.protocol.infer_type import RequestedOutput

url, key, endpoint = sys.argv[1:4]
given = json.load(sys.stdin)
columns, matrix = given["columns"], np.asarray(given["matrix"], dtype=np.float32)
headers = {"Authorization": f"Bearer {key}"}


def taxi_request(binary_outputs):
    inputs = []
    for name, values in columns.items():
        if isinstance(values[0], str):
            array, datatype = np.asarray(values, dtype=object), "BYTES"
        elif all(isinstance(v, int) for v in values):
            array, datatype = np.asarray(values, dtype=np.int64), "INT64"
        else:
            array, datatype = np.asarray(values, dtype=np.float64), "FP64"
        infer_input = kserve.InferInput(name, [len(values)], datatype)
        infer_input.set_data_from_numpy(array)  # binary by default
        inputs.append(infer_input)
    outputs = [RequestedOutput("predict", {"binary_data": True})] if binary_outputs else None
    return kserve.InferRequest(endpoint, inputs, request_outputs=outputs)


def matrix_request():
    infer_input = kserve.InferInput("x", list(matrix.shape), "FP32")
    infer_input.set_data_from_numpy(matrix)
    return kserve.InferRequest("fast", [infer_input], parameters={"binary_data_output": True})


async def scenario():
    client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2"))
    try:
        live = await client.is_server_live(url, headers=headers)
        ready = await client.is_model_ready(url, endpoint, headers=headers)
        answers = []
        for request, model in (
            (taxi_request(False), endpoint), (taxi_request(True), endpoint),
            (matrix_request(), "fast"),
        ):
            response_headers = {}
            answer = await client.infer(
                url, request, model_name=model, headers=dict(headers),
                response_headers=response_headers,
            )
            answers.append({
                "model_name": answer.model_name,
                "predictions": answer.outputs[0].as_numpy().tolist(),
                "binary": "inference-header-content-length" in response_headers,
            })
        return {"live": live, "ready": ready, "answers": answers}
    finally:
        await client.close()


print(json.dumps(asyncio.run(scenario())))
"""


# Read at import: the autouse fixture clears OPSLOOP_* variables before each test.
KSERVE_PYTHON = os.environ.get("OPSLOOP_TEST_KSERVE_PYTHON") or str(
    Path(__file__).resolve().parents[2] / ".venv-kserve" / "bin" / "python"
)


def test_kserve_rest_client(served: Served) -> None:
    python = KSERVE_PYTHON
    if not Path(python).is_file():
        pytest.skip("KServe's SDK: run through scripts/test, which makes .venv-kserve")
    frame = trips()
    matrix = np.random.default_rng(4).normal(size=(20, 3)).astype(np.float32)
    given = {"columns": {c: frame[c].tolist() for c in frame.columns}, "matrix": matrix.tolist()}
    run = subprocess.run(
        [python, "-c", KSERVE_CLIENT, served.url, served.key, ENDPOINT],
        input=json.dumps(given), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["live"] and result["ready"]
    json_answer, binary_answer, onnx_answer = result["answers"]
    assert not json_answer["binary"] and binary_answer["binary"] and onnx_answer["binary"]
    expected = served.taxi.predict(frame)
    np.testing.assert_allclose(json_answer["predictions"], expected)
    np.testing.assert_allclose(binary_answer["predictions"], expected)
    assert json_answer["model_name"] == ENDPOINT
    np.testing.assert_allclose(
        onnx_answer["predictions"], served.linear.predict(matrix), rtol=1e-5, atol=1e-5
    )


def test_the_documented_tritonclient_example_runs_as_printed(served: Served) -> None:
    text = DOCS.read_text()
    section = text[text.index("### Open Inference Protocol") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "no python example in the Open Inference Protocol section"
    env = {**os.environ, "ENDPOINT": served.host, "ENDPOINT_KEY": served.key}
    run = subprocess.run(
        [sys.executable, "-c", code.group(1)], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    printed = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(printed, served.taxi.predict(trips()), rtol=1e-6)
