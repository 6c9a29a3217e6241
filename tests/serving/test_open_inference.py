"""The Open Inference Protocol's binary tensor data extension: every datatype read and
written as tritonclient (the reference client) writes and reads it, and every malformed
binary request refused with a 400 that says what is wrong, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from starlette.testclient import TestClient

from helpers import bearer, serving_runtime
from opsloop import Client
from opsloop.scoring import tensors
from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.open_inference import parse_v2
from opsloop.scoring.protocols import BadRequest
from opsloop.serving.online.responses import format_v2
from opsloop.specs.endpoint import OnlineDeploymentSpec

httpclient = pytest.importorskip("tritonclient.http")
ml_dtypes = pytest.importorskip("ml_dtypes")

# One column of three values for every datatype the protocol names.
COLUMNS: dict[str, np.ndarray] = {
    "BOOL": np.array([True, False, True]),
    "UINT8": np.array([0, 255, 7], dtype=np.uint8),
    "UINT16": np.array([0, 65535, 7], dtype=np.uint16),
    "UINT32": np.array([0, 2**32 - 1, 7], dtype=np.uint32),
    "UINT64": np.array([0, 2**64 - 1, 7], dtype=np.uint64),
    "INT8": np.array([-128, 127, 0], dtype=np.int8),
    "INT16": np.array([-32768, 32767, 0], dtype=np.int16),
    "INT32": np.array([-(2**31), 2**31 - 1, 0], dtype=np.int32),
    "INT64": np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64),
    "FP16": np.array([0.5, -1.25, 65504], dtype=np.float16),
    "BF16": np.array([1.5, -2.0, 0.15625], dtype=ml_dtypes.bfloat16),
    "FP32": np.array([0.1, -3.4e38, 1e-30], dtype=np.float32),
    "FP64": np.array([0.1, -1.7e308, 5e-324]),
    "BYTES": np.array(["taxi", "Zürich", b"\xff\x00 not UTF-8"], dtype=object),
}


def request_body(inputs: list[Any], **options: Any) -> tuple[bytes, bytes | None]:
    """(body, Inference-Header-Content-Length) as tritonclient sends them."""
    body, json_size = httpclient.InferenceServerClient.generate_request_body(inputs, **options)
    return body, None if json_size is None else str(json_size).encode()


def tensor(name: str, values: np.ndarray, datatype: str, binary: bool = True) -> Any:
    infer_input = httpclient.InferInput(name, list(values.shape), datatype)
    infer_input.set_data_from_numpy(values, binary_data=binary)
    return infer_input


def test_every_datatype_is_read_from_binary_tensor_data() -> None:
    inputs = [tensor(name, values, name) for name, values in COLUMNS.items()]
    rows = parse_v2(*request_body(inputs))
    assert rows.columns == list(COLUMNS)
    for index, (name, values) in enumerate(COLUMNS.items()):
        column = [row[index] for row in rows.values]
        if name == "BYTES":
            assert column == ["taxi", "Zürich", b"\xff\x00 not UTF-8"]
        else:
            np.testing.assert_array_equal(np.array(column, dtype=values.dtype), values, name)
    assert rows.reply.binary is True  # no outputs named: tritonclient asks for binary


def test_json_and_binary_inputs_mix_and_a_matrix_stays_an_array() -> None:
    matrix = np.arange(6, dtype=np.float32).reshape(2, 3)
    rows = parse_v2(*request_body([tensor("x", matrix, "FP32")], request_id="r7"))
    assert isinstance(rows.values, np.ndarray) and rows.values.shape == (2, 3)
    np.testing.assert_array_equal(rows.values, matrix)
    assert rows.reply.request_id == "r7"
    mixed = [
        tensor("distance", np.array([1.5, 2.0]), "FP64", binary=False),
        tensor("vendor", np.array(["a", "b"], dtype=object), "BYTES"),
        tensor("hour", np.array([7, 9]), "INT64"),
    ]
    outputs = [httpclient.InferRequestedOutput("predict", binary_data=False)]
    rows = parse_v2(*request_body(mixed, outputs=outputs))
    assert rows.columns == ["distance", "vendor", "hour"]
    assert rows.values == [[1.5, "a", 7], [2.0, "b", 9]]
    assert rows.reply.binary is False


@pytest.mark.parametrize("datatype", [name for name in COLUMNS if name != "BF16"])
def test_every_datatype_is_answered_as_tritonclient_reads_it(datatype: str) -> None:
    values = COLUMNS[datatype]
    if datatype == "BYTES":
        values = np.array(["taxi", "Zürich", "7"], dtype=object)
    deployment = DeploymentBundle(
        "blue",
        OnlineDeploymentSpec(name="blue", endpoint_name="ep", model="lin:3"),
        model_version="3",
    )
    for binary in (True, False):
        reply = parse_v2(*request_body([tensor("x", np.ones((1, 1)), "FP64")])).reply
        reply = reply._replace(binary=binary)
        answer = format_v2(values, "ep", deployment, "rid", reply)
        headers = dict(answer.headers)
        length = headers.get(b"inference-header-content-length")
        assert (length is not None) is binary
        result = httpclient.InferenceServerClient.parse_response_body(
            answer.body, header_length=int(length) if length else None
        )
        got = result.as_numpy("predict")
        assert result.get_output("predict")["datatype"] == datatype
        if datatype == "BYTES":
            assert [v.decode() if isinstance(v, bytes) else v for v in got] == list(values)
        else:
            np.testing.assert_array_equal(got, values)
        response = result.get_response()
        assert response["model_name"] == "ep" and response["parameters"]["deployment"] == "blue"


def _valid() -> tuple[bytes, bytes]:
    body, length = request_body([tensor("x", np.ones((1, 3)), "FP64")])
    assert length is not None
    return body, length


def _with_json(document: dict[str, Any], binary: bytes) -> tuple[bytes, bytes]:
    header = orjson.dumps(document)
    return header + binary, str(len(header)).encode()


def _tensor(size: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "x", "shape": [1, 3], "datatype": "FP64",
        "parameters": {"binary_data_size": size}, **extra,
    }  # fmt: skip


EIGHT = np.ones(1).tobytes()
MALFORMED = [
    (_valid()[0], b"ten", "must be a whole number of bytes, got 'ten'"),
    (_valid()[0], b"100000", "says 100000 bytes of JSON, the body has only"),
    (_valid()[0], b"\xb2", "must be a whole number of bytes, got '\xb2'"),
    (_valid()[0], b"9" * 5000, "says 9999999999999999999999999999999999999999 bytes of JSON"),
    (_valid()[0], b"10", "the request body is not valid JSON"),
    (_valid()[0], None, "needs the Inference-Header-Content-Length header"),
    (*_with_json({"inputs": [_tensor(24)]}, EIGHT * 2), "binary_data_size is 24 bytes, the body has 16 left"),
    (*_with_json({"inputs": [_tensor(16)]}, EIGHT * 2), "3 FP64 values take 24 bytes, binary_data_size is 16"),
    (*_with_json({"inputs": [_tensor(24)]}, EIGHT * 4), "8 bytes after the JSON header that no input claims"),
    (*_with_json({"inputs": [_tensor("24")]}, EIGHT * 3), "inputs[0].parameters.binary_data_size must be a whole number"),
    (*_with_json({"inputs": [_tensor(-8)]}, EIGHT * 3), "binary_data_size must be a whole number of bytes, got -8"),
    (*_with_json({"inputs": [_tensor(24, data=[1, 2, 3])]}, EIGHT * 3), "has both data and parameters.binary_data_size"),
    (*_with_json({"inputs": [{**_tensor(24), "parameters": [24]}]}, EIGHT * 3), "inputs[0].parameters must be an object"),
    (*_with_json({"inputs": [{**_tensor(5), "datatype": "BYTES", "shape": [1]}]}, b"\x09\x00\x00\x00a"), "BYTES element 0 says 9 bytes, 1 are left"),
    (*_with_json({"inputs": [{**_tensor(8), "datatype": "BYTES", "shape": [2]}]}, b"\x04\x00\x00\x00abcd"), "the BYTES data ends before element 1 of 2"),
    (*_with_json({"inputs": [{**_tensor(8), "datatype": "BYTES", "shape": [10**12]}]}, EIGHT), "1000000000000 BYTES elements take at least 4000000000000 bytes"),
    (*_with_json({"inputs": [{**_tensor(6), "datatype": "BYTES", "shape": [1]}]}, b"\x01\x00\x00\x00ab"), "1 bytes are left after its 1 BYTES elements"),
    (*_with_json({"inputs": [_tensor(24)], "outputs": [{"name": "proba"}]}, EIGHT * 3), "outputs[0]: no output 'proba'"),
    (*_with_json({"inputs": [_tensor(24)], "outputs": [{"name": "predict", "parameters": {"classification": 2}}]}, EIGHT * 3), "classification extension is not supported"),
    (*_with_json({"inputs": [_tensor(24)], "parameters": {"binary_data_output": "yes"}}, EIGHT * 3), "parameters.binary_data_output must be true or false"),
    (*_with_json({"inputs": [_tensor(24)], "outputs": "predict"}, EIGHT * 3), "outputs must be a list"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "length", "message"), MALFORMED)
def test_malformed_binary_requests_say_what_is_wrong(
    body: bytes, length: bytes | None, message: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_v2(body, length)
    assert message in refused.value.message and refused.value.status == 400


def test_any_framing_parses_or_is_a_bad_request() -> None:
    """Every datatype, shape and claimed size against 24 bytes: rows or BadRequest, never
    another exception (which the runtime would answer 500)."""
    data = bytes(range(24))
    outcomes = set()
    for datatype in tensors.DATATYPES:
        for shape in ([1, 3], [3], [2, 2], [0, 3], [24], [1, 1, 3], [10**12]):
            for size in (0, 1, 4, 12, 23, 24, 25, 10**9):
                tensor = {"name": "x", "shape": shape, "datatype": datatype}
                body, length = _with_json(
                    {"inputs": [{**tensor, "parameters": {"binary_data_size": size}}]}, data
                )
                try:
                    parse_v2(body, length)
                    outcomes.add("rows")
                except BadRequest as exc:
                    outcomes.add(exc.status)
    assert outcomes == {"rows", 400, 422}


@pytest.fixture
def http(serving_client: Client) -> Iterator[TestClient]:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
    )
    with TestClient(serving_runtime(serving_client), headers=bearer(serving_client)) as local:
        yield local


def test_binary_over_http_and_no_cut_of_a_body_is_a_server_error(http: TestClient) -> None:
    body, length = _valid()
    headers = {"inference-header-content-length": length.decode()}
    answer = http.post("/v2/models/ep/infer", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/octet-stream"
    result = httpclient.InferenceServerClient.parse_response_body(
        answer.content, header_length=int(answer.headers["inference-header-content-length"])
    )
    np.testing.assert_allclose(result.as_numpy("predict"), [6.0])
    statuses = set()
    for cut in range(len(body)):
        statuses.add(
            http.post("/v2/models/ep/infer", content=body[:cut], headers=headers).status_code
        )
    statuses.add(
        http.post("/v2/models/ep/infer", content=body + b"\x00", headers=headers).status_code
    )
    statuses.add(http.post("/v2/models/ep/infer", content=body).status_code)  # no header
    assert statuses <= {400, 422}, statuses
    refused = http.post("/v2/models/ep/infer", content=body[:-1], headers=headers)
    assert refused.headers["content-type"] == "application/json"  # as the Protocol's clients read
    problem = refused.json()
    assert problem["status"] == 400 and problem["error"] == problem["detail"]
    assert "binary_data_size is 24 bytes, the body has 23 left" in problem["error"]


def test_a_deployment_that_failed_to_load_answers_v2_routes_cleanly(
    serving_client: Client, home: Path
) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        inference_runtime="native",  # auto would serve an ONNX copy that needs no MLmodel
    )  # fmt: skip
    for mlmodel in home.rglob("MLmodel"):  # the served copy breaks after provisioning
        mlmodel.write_text("flavors: {}\n")
    with TestClient(serving_runtime(serving_client), headers=bearer(serving_client)) as http:
        ready = http.get("/v2/models/blue/ready")
        assert ready.status_code == 503 and ready.json() == {"ready": False}
        body, length = _valid()
        headers = {"inference-header-content-length": length.decode()}
        failed = http.post("/v2/models/ep/infer", content=body, headers=headers)
        assert failed.status_code == 503 and "failed to load" in failed.json()["error"]
