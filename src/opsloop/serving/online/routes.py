"""Which protocol a path speaks, how its body parses, and how the answer is written."""

from __future__ import annotations

from typing import Any

import orjson

from opsloop import __version__
from opsloop.scoring.open_inference import parse_v2
from opsloop.scoring.protocols import Rows, parse_azure, parse_mlflow
from opsloop.serving.online.live import LiveDeployment, LiveEndpoint
from opsloop.serving.online.responses import (
    HEADER_LENGTH,
    Reply,
    collected_inputs,
    collected_outputs,
    format_azure,
    format_mlflow,
    format_v2,
)
from opsloop.serving.online.v2_metadata import signature_tensors

SCORING_ROUTES = {"/score": "azure", "/invocations": "mlflow"}
UNKNOWN_MODEL = "unknown-model"  # a V2 path naming neither the endpoint nor a deployment
SERVER = "server"  # GET /v2: the server's metadata
FEEDBACK = "feedback"  # POST /feedback: ground truth for scored requests
# The Open Inference Protocol's optional extensions that the runtime implements.
EXTENSIONS = ("binary_tensor_data",)
SERVER_METADATA = orjson.dumps(
    {"name": "opsloop", "version": __version__, "extensions": EXTENSIONS}
)


def route(path: str, method: str, live: LiveEndpoint) -> tuple[str | None, str | None]:
    """(protocol, model name in the path)."""
    if path in SCORING_ROUTES:
        return (SCORING_ROUTES[path] if method == "POST" else None), None
    if path == "/feedback":
        return (FEEDBACK if method == "POST" else None), None
    if path in ("/v2", "/v2/"):
        return (SERVER if method == "GET" else None), None
    if path.startswith("/v2/models/"):
        model, _, action = path[len("/v2/models/") :].partition("/")
        if model != live.name and model not in live.deployments:
            return UNKNOWN_MODEL, model
        if action == "infer" and method == "POST":
            return "v2", model
        if action == "" and method == "GET":
            return "metadata", model
        if action == "ready" and method == "GET":
            return "ready", model
    return None, None


def parse(protocol: str, content_type: str, body: bytes, header_length: bytes | None) -> Rows:
    """``header_length``: the request's ``Inference-Header-Content-Length`` (V2 binary)."""
    if protocol == "mlflow":
        return parse_mlflow(body, content_type)
    if protocol == "v2":
        return parse_v2(body, header_length)
    return parse_azure(body)


def answer(
    protocol: str,
    deployment: LiveDeployment,
    result: Any,
    request_id: str,
    rows: Rows | None,
    model: str | None,
) -> Reply:
    """``model``: the model a V2 path names (the endpoint, or a deployment)."""
    if protocol == "mlflow":
        return format_mlflow(result)
    if protocol == "v2":
        reply = rows.reply if rows is not None else None
        return format_v2(result, model or deployment.name, deployment.bundle, request_id, reply)
    return format_azure(result)


def model_metadata(deployment: LiveDeployment, protocol: str, model: str) -> Reply:
    """``model``: as the path names it, which is what a client checks the answer against;
    the deployment that answered is a parameter."""
    if protocol == "ready":
        return Reply(
            200 if deployment.predictor else 503,
            orjson.dumps({"ready": bool(deployment.predictor)}),
        )
    bundle = deployment.bundle
    inputs, outputs = signature_tensors(bundle.model_dir)
    registered = f"{bundle.model_name}:{bundle.model_version}" if bundle.model_name else None
    return Reply(
        200,
        orjson.dumps(
            {
                "name": model,
                "versions": [bundle.model_version] if bundle.model_version else [],
                "platform": deployment.predictor.kind if deployment.predictor else "unavailable",
                "inputs": inputs,
                "outputs": outputs,
                "parameters": {"deployment": bundle.name, "model": registered},
            }
        ),
    )


def server_metadata() -> Reply:
    return Reply(200, SERVER_METADATA)


def collect(
    deployment: LiveDeployment,
    rows: Rows | None,
    body: bytes,
    header_length: bytes | None,
    result: Any,
    reply: Reply,
    rid: str,
) -> None:
    collector = deployment.collector
    assert collector is not None
    # One call per request: a durable collector appends it to its spool in one write. Of a
    # V2 binary request or answer, the JSON part (its tensors are the model_inputs and
    # model_outputs collections).
    collections = {
        "request": [{"payload": _text(body, header_length)}],
        "response": [{"payload": _text(reply.body, _header_length(reply))}],
    }
    if rows is not None:
        collections["model_inputs"] = collected_inputs(rows)
        collections["model_outputs"] = collected_outputs(result)
    collector.collect_request(collections, rid)


def _text(body: bytes, header_length: bytes | None) -> str:
    if header_length is not None and header_length.isdigit():
        body = body[: int(header_length)]
    return body.decode("utf-8", errors="replace")


def _header_length(reply: Reply) -> bytes | None:
    return next((value for name, value in reply.headers if name == HEADER_LENGTH), None)
