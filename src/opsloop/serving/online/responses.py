"""Answers of the scoring routes: protocol bodies, problem bodies, collected rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np
import orjson

from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.open_inference import OUTPUT_NAME, V2Reply
from opsloop.scoring.protocols import Rows
from opsloop.scoring.tensors import datatype_of, encode

JSON = b"application/json"
PROBLEM = b"application/problem+json"
BINARY = b"application/octet-stream"
HEADER_LENGTH = b"inference-header-content-length"
_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
TITLES = {
    400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 413: "Payload Too Large", 422: "Unprocessable Content",
    424: "Failed Dependency", 429: "Too Many Requests", 503: "Service Unavailable",
}  # fmt: skip


class Reply:
    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(self, status: int, body: bytes, content_type: bytes = JSON) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers: list[tuple[bytes, bytes]] = []

    async def send(self, send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
        headers = [
            (b"content-type", self.content_type),
            (b"content-length", str(len(self.body)).encode()),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def problem(status: int, detail: str) -> Reply:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    return Reply(status, orjson.dumps(body), PROBLEM)


def plain(result: Any) -> Any:
    """Predictions as JSON-ready values: arrays stay arrays, frames become records."""
    if type(result) is np.ndarray:  # the common case, before the slower attribute probes
        return result
    if hasattr(result, "to_dict") and hasattr(result, "columns"):
        return result.to_dict(orient="records")
    if hasattr(result, "tolist") and not isinstance(result, np.ndarray):
        return result.tolist()
    return result


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_DUMP_OPTIONS)
    except TypeError:  # e.g. a non-contiguous array or exotic scalars
        return orjson.dumps(
            np.asarray(value).tolist() if hasattr(value, "__array__") else str(value)
        )


def format_mlflow(result: Any) -> Reply:
    return Reply(200, _dumps({"predictions": plain(result)}))


def format_azure(result: Any) -> Reply:
    # As Azure ML does, whatever run() returns is JSON-encoded, text included.
    if isinstance(result, bytes):
        result = result.decode("utf-8", errors="replace")
    return Reply(200, _dumps(plain(result)))


def format_v2(
    result: Any, model_name: str, bundle: DeploymentBundle, request_id: str, reply: V2Reply | None
) -> Reply:
    """One output tensor of predictions, in JSON or, when the request asked for it, as
    binary tensor data after the JSON header. ``model_name``: as the request named it."""
    values = np.asarray(plain(result)) if not isinstance(result, np.ndarray) else result
    datatype = datatype_of(values)
    output: dict[str, Any] = {
        "name": OUTPUT_NAME,
        "shape": list(values.shape),
        "datatype": datatype,
    }
    body = {
        "model_name": model_name,
        "model_version": bundle.model_version,
        "id": reply.request_id
        if reply is not None and reply.request_id is not None
        else request_id,
        "parameters": {"deployment": bundle.name},
        "outputs": [output],
    }
    if reply is None or not reply.binary:
        output["data"] = _json_data(values, datatype)
        return Reply(200, _dumps(body))
    data = encode(values, datatype)
    output["parameters"] = {"binary_data_size": len(data)}
    header = _dumps(body)
    answer = Reply(200, header + data, BINARY)
    answer.headers.append((HEADER_LENGTH, str(len(header)).encode()))
    return answer


def _json_data(values: np.ndarray, datatype: str) -> Any:
    if datatype != "BYTES":
        return values.ravel()
    # Text as JSON strings (orjson writes no numpy text arrays, nor bytes).
    return [
        value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
        for value in values.ravel().tolist()
    ]


def v2_error(reply: Reply) -> Reply:
    """A problem answered on a V2 route, with the ``error`` member the Open Inference
    Protocol's clients read, as JSON (KServe's client reads nothing from another type).
    Other answers (``{"ready": false}``) stay as they are."""
    if reply.content_type != PROBLEM:
        return reply
    body = orjson.loads(reply.body)
    body["error"] = body["detail"]
    answer = Reply(reply.status, orjson.dumps(body), JSON)
    answer.headers = reply.headers
    return answer


def collected_inputs(rows: Rows) -> list[dict[str, Any]]:
    values = rows.values.tolist() if isinstance(rows.values, np.ndarray) else rows.values
    columns = rows.columns or [f"col_{i}" for i in range(len(values[0]) if values else 0)]
    return [dict(zip(columns, row, strict=False)) for row in values]


def collected_outputs(result: Any) -> list[dict[str, Any]]:
    values = plain(result)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, list):
        return [{"prediction": values}]
    return [item if isinstance(item, dict) else {"prediction": item} for item in values]
