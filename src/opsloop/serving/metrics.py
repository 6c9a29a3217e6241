"""Prometheus metrics per endpoint and deployment, in one registry per runtime.

Requests are counted off the hot path: a request appends its traffic-log record to
``pending`` and the counters and histograms are brought up to date from those records by
the request-log thread every second, and before every ``/metrics`` answer, so a scrape
always sees every request answered before it. Label children are cached. With several worker processes
(``PROMETHEUS_MULTIPROC_DIR`` set by ``online-endpoint serve --workers N``), every worker
writes its samples to that folder and ``/metrics`` answers the sum over all of them.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
LABELS = ("endpoint", "deployment")


class ServingMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "opsloop_endpoint_requests", "Scored requests by status code.",
            (*LABELS, "status_code"), registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "opsloop_endpoint_request_duration_seconds", "Time from request to response.",
            LABELS, buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.model_latency = Histogram(
            "opsloop_endpoint_model_duration_seconds", "Time spent in the model.",
            LABELS, buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.in_flight = Gauge(
            "opsloop_endpoint_requests_in_flight", "Requests being scored now.", LABELS,
            registry=r, multiprocess_mode="livesum",
        )  # fmt: skip
        self.throttled = Counter(
            "opsloop_endpoint_throttled_requests", "Requests refused over capacity (429).",
            LABELS, registry=r,
        )  # fmt: skip
        self.mirrored = Counter(
            "opsloop_endpoint_mirrored_requests", "Requests copied to a shadow deployment.",
            LABELS, registry=r,
        )  # fmt: skip
        self.model_errors = Counter(
            "opsloop_endpoint_model_errors", "Requests where the model or script raised.",
            LABELS, registry=r,
        )  # fmt: skip
        self._children: dict[tuple[str, ...], Any] = {}
        self.pending: deque[tuple[Any, ...]] = deque()
        self._drain_lock = threading.Lock()

    def drain(self) -> None:
        """Count the pending records (see request_log.RECORD_FIELDS for their layout)."""
        with self._drain_lock:
            while self.pending:
                record = self.pending.popleft()
                endpoint, deployment, status = record[2], record[3] or "", record[7]
                self.count(endpoint, deployment, status)
                self.child(self.latency, endpoint, deployment).observe(record[11] / 1000)
                if record[12] is not None:
                    self.child(self.model_latency, endpoint, deployment).observe(record[12] / 1000)

    def child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        key = (metric._name, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def count(self, endpoint: str, deployment: str, status: int) -> None:
        self.child(self.requests, endpoint, deployment, str(status)).inc()

    def exposition(self) -> bytes:
        self.drain()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            MultiProcessCollector(combined)
            return generate_latest(combined)
        return generate_latest(self.registry)
