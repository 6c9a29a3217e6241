"""Answers of the scoring routes: protocol bodies, problem bodies, collected rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np
import orjson

from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.protocols import Rows, v2_datatype

JSON = b"application/json"
PROBLEM = b"application/problem+json"
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


def format_v2(result: Any, bundle: DeploymentBundle, request_id: str) -> Reply:
    values = np.asarray(plain(result)) if not isinstance(result, np.ndarray) else result
    outputs = {
        "name": "predict",
        "shape": list(values.shape),
        "datatype": v2_datatype(values),
        "data": values.ravel(),
    }
    body = {
        "model_name": bundle.name,
        "model_version": bundle.model_version,
        "id": request_id,
        "outputs": [outputs],
    }
    return Reply(200, _dumps(body))


def collected_inputs(rows: Rows) -> list[dict[str, Any]]:
    columns = rows.columns or [f"col_{i}" for i in range(len(rows.values[0]) if rows.values else 0)]
    return [dict(zip(columns, row, strict=False)) for row in rows.values]


def collected_outputs(result: Any) -> list[dict[str, Any]]:
    values = plain(result)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, list):
        return [{"prediction": values}]
    return [item if isinstance(item, dict) else {"prediction": item} for item in values]
