"""What the runtime answers without scoring: health probes, and a wrong path or method.

``GET /`` and ``GET /health`` answer as Azure ML's inference server does (a load
balancer's or a person's first request), ``/v2/health/*`` as the Open Inference Protocol
says; none needs a key. A known route asked with the wrong method is a 405 naming the
method it takes (``GET /score``), an unknown path a 404.
"""

from __future__ import annotations

import orjson

from opsloop.serving.online.live import LiveEndpoint
from opsloop.serving.online.responses import Reply, problem

_ROUTES_TAKE = {
    "/score": b"POST",
    "/invocations": b"POST",
    "/feedback": b"POST",
    "/v2": b"GET",
    "/v2/": b"GET",
    "/v2/health/live": b"GET",
    "/v2/health/ready": b"GET",
    "/metrics": b"GET",
    "/": b"GET",
    "/health": b"GET",
}


def health_probe(path: str, method: str, live: LiveEndpoint) -> Reply | None:
    """The probe's answer, or None when ``path`` is not a probe asked with GET."""
    if method not in ("GET", "HEAD"):
        return None
    if path in ("/", "/health"):
        status = {"endpoint": live.name, "ready": live.ready, "routes": _SCORING_ROUTES}
        return Reply(200 if live.ready else 503, orjson.dumps(status))
    if path == "/v2/health/live":
        return Reply(200, b'{"live":true}')
    if path == "/v2/health/ready":
        return Reply(200, b'{"ready":true}') if live.ready else problem(503, "not ready")
    return None


_SCORING_ROUTES = {
    "score": "POST /score (Azure ML), POST /invocations (MLflow), POST /v2/models/<m>/infer",
    "feedback": "POST /feedback: [{correlation_id, ground_truth, row_index?}]",
    "auth": "Authorization: Bearer <key or token>",
}


def no_route(path: str, method: str) -> Reply:
    allowed = _allowed(path)
    if allowed is None:
        return problem(404, f"no route {method} {path}")
    reply = problem(405, f"{path} takes {allowed.decode()}, not {method}")
    reply.headers.append((b"allow", allowed))
    return reply


def _allowed(path: str) -> bytes | None:
    if path in _ROUTES_TAKE:
        return _ROUTES_TAKE[path]
    if path.startswith("/v2/models/"):
        action = path[len("/v2/models/") :].partition("/")[2]
        return {"infer": b"POST", "": b"GET", "ready": b"GET"}.get(action)
    return None
