"""Which protocol a path speaks, how its body parses, and how the answer is written."""

from __future__ import annotations

from typing import Any

import orjson

from opsloop.scoring.protocols import Rows, parse_azure, parse_mlflow, parse_v2
from opsloop.serving.online.live import LiveDeployment, LiveEndpoint
from opsloop.serving.online.responses import (
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


def route(path: str, method: str, live: LiveEndpoint) -> tuple[str | None, str | None]:
    """(protocol, model name in the path)."""
    if path in SCORING_ROUTES:
        return (SCORING_ROUTES[path] if method == "POST" else None), None
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


def parse(protocol: str, content_type: str, body: bytes) -> Rows:
    if protocol == "mlflow":
        return parse_mlflow(body, content_type)
    if protocol == "v2":
        return parse_v2(body)[0]
    return parse_azure(body)


def answer(protocol: str, deployment: LiveDeployment, result: Any, request_id: str) -> Reply:
    if protocol == "mlflow":
        return format_mlflow(result)
    if protocol == "v2":
        return format_v2(result, deployment.bundle, request_id)
    return format_azure(result)


def model_metadata(deployment: LiveDeployment, protocol: str) -> Reply:
    if protocol == "ready":
        return Reply(
            200 if deployment.predictor else 503,
            orjson.dumps({"ready": bool(deployment.predictor)}),
        )
    bundle = deployment.bundle
    inputs, outputs = signature_tensors(bundle.model_dir)
    return Reply(
        200,
        orjson.dumps(
            {
                "name": bundle.name,
                "versions": [bundle.model_version] if bundle.model_version else [],
                "platform": deployment.predictor.kind if deployment.predictor else "unavailable",
                "inputs": inputs,
                "outputs": outputs,
                "model": f"{bundle.model_name}:{bundle.model_version}"
                if bundle.model_name
                else None,
            }
        ),
    )


def collect(
    deployment: LiveDeployment, rows: Rows | None, body: bytes, result: Any, answer: bytes, rid: str
) -> None:
    collector = deployment.collector
    assert collector is not None
    # One call per request: a durable collector appends it to its spool in one write.
    collections = {
        "request": [{"payload": body.decode("utf-8", errors="replace")}],
        "response": [{"payload": answer.decode("utf-8", errors="replace")}],
    }
    if rows is not None:
        collections["model_inputs"] = collected_inputs(rows)
        collections["model_outputs"] = collected_outputs(result)
    collector.collect_request(collections, rid)
