"""What the runtime learns about one request on its way, and the traffic-log record it
becomes (fields in the order of ``request_log.RECORD_FIELDS``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsloop.serving.online.live import LiveDeployment, LiveEndpoint


class RequestContext:
    __slots__ = (
        "auth_type", "comparison", "deployment", "live", "method", "mirror", "mirrored", "model",
        "model_s", "model_status", "path", "request_bytes", "result", "throttle_s",
    )  # fmt: skip

    def __init__(self, live: LiveEndpoint, method: str, path: str, mirrored: bool = False) -> None:
        self.live = live
        self.method = method
        self.path = path
        self.mirrored = mirrored
        self.deployment: LiveDeployment | None = None
        self.model: str | None = None  # as a V2 path names it
        self.auth_type: str | None = None
        self.model_status: str | None = None
        self.model_s: float | None = None
        self.throttle_s = 0.0
        self.request_bytes = 0
        # (shadow, protocol, content type, body, Inference-Header-Content-Length)
        self.mirror: tuple[LiveDeployment, str, str, bytes, bytes | None] | None = None
        self.result: Any = None  # what the model returned (a reference: a mirror compares it)
        self.comparison: dict[str, Any] | None = None  # a mirrored request's, see shadow.py

    def record(
        self, request_id: str, status: int, response_bytes: int, started: float
    ) -> tuple[Any, ...]:
        """``started``: the request's ``time.perf_counter()`` when it arrived."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        return (
            time.time(), self.live.bundle.workspace, self.live.name,
            self.deployment.name if self.deployment else None, request_id, self.method,
            self.path[:255], status, self.model_status, self.request_bytes, response_bytes,
            elapsed_ms, self.model_s * 1000 if self.model_s is not None else None,
            self.throttle_s * 1000, self.auth_type, self.mirrored, self.comparison,
        )  # fmt: skip
