"""The requests a server is measured with (`--requests`), and how its answer is read back.

* `invocations`: the single-row MLflow `dataframe_split` body every server gets (the table's
  main rows, the ratios to MLflow and to the bare ASGI app);
* `v2-json-N` / `v2-binary-N` (opsloop only): `POST /v2/models/<endpoint>/infer` with N rows
  (1 or 1000) as one `[N, 20]` FP64 tensor, as tritonclient sends it: JSON `data`, or the
  binary tensor data extension (`Inference-Header-Content-Length`, the raw float64s after
  the JSON, and `binary_data_output` so the predictions come back binary too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from models import Model

KINDS = ("invocations", "v2-json-1", "v2-binary-1", "v2-json-1000", "v2-binary-1000")
_NUMPY = {"FP64": "<f8", "FP32": "<f4", "INT64": "<i8", "INT32": "<i4", "BOOL": "?"}


@dataclass
class Request:
    kind: str
    rows: int
    body: bytes
    headers: dict[str, str]
    expected: list  # the in-process model's predictions for these rows

    @property
    def v2(self) -> bool:
        return self.kind.startswith("v2")


def build(kind: str, model: Model) -> Request:
    if kind == "invocations":
        return Request(kind, 1, model.body, {"Content-Type": "application/json"}, model.expected)
    protocol, _, count = kind.rpartition("-")
    n = int(count)
    matrix = model.rows[:n]
    tensor: dict = {"name": "x", "shape": list(matrix.shape), "datatype": "FP64"}
    if protocol == "v2-json":
        tensor["data"] = matrix.ravel().tolist()
        body = json.dumps({"inputs": [tensor]}).encode()
        headers = {"Content-Type": "application/json"}
    else:
        data = matrix.astype("<f8").tobytes()
        tensor["parameters"] = {"binary_data_size": len(data)}
        header = json.dumps({"inputs": [tensor], "parameters": {"binary_data_output": True}})
        body = header.encode() + data
        headers = {
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(header)),
        }
    return Request(kind, n, body, headers, model.predicted[:n])


def v2_predictions(raw: bytes, headers: dict[str, str]) -> list:
    """The predictions of a V2 answer, JSON or binary."""
    length = headers.get("inference-header-content-length")
    document = json.loads(raw[: int(length)] if length else raw)
    output = document["outputs"][0]
    if length is None:
        return output["data"]
    return np.frombuffer(raw[int(length) :], _NUMPY[output["datatype"]]).tolist()
