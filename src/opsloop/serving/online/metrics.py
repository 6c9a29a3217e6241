"""Prometheus metrics per endpoint and deployment, in one registry per runtime.

A request pays almost nothing for its metrics: it appends its traffic-log record (``add``)
or bumps a plain counter (``tally(...).throttled += 1``). ``publish`` counts the pending
records into per-series tallies in one tight loop, then moves the tallies into the
prometheus_client metrics, once per series rather than once per request. The runtime calls
it every poll interval and before every ``/metrics`` answer, so a scrape always sees every
request answered before it. Everything runs on the event loop, so nothing needs a lock.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set by ``online-endpoint serve
--workers N``), every worker writes its samples to that folder and ``/metrics`` answers the
sum over all of them.
"""

from __future__ import annotations

import bisect
import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
LABELS = ("endpoint", "deployment")


class _Tally:
    """What one histogram saw since the last publish: per-bucket counts and their sum."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        # The first bound >= seconds, as prometheus_client's Histogram.observe picks it.
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds


class _SeriesTally:
    """Everything counted for one (endpoint, deployment) since the last publish."""

    __slots__ = ("latency", "mirrored", "model_errors", "model_latency", "statuses", "throttled")

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.latency = _Tally()
        self.model_latency = _Tally()
        self.throttled = 0
        self.mirrored = 0
        self.model_errors = 0


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
        self.throttled_requests = Counter(
            "opsloop_endpoint_throttled_requests", "Requests refused over capacity (429).",
            LABELS, registry=r,
        )  # fmt: skip
        self.mirrored_requests = Counter(
            "opsloop_endpoint_mirrored_requests", "Requests copied to a shadow deployment.",
            LABELS, registry=r,
        )  # fmt: skip
        self.model_errors = Counter(
            "opsloop_endpoint_model_errors", "Requests where the model or script raised.",
            LABELS, registry=r,
        )  # fmt: skip
        self._tallies: dict[tuple[str, str], _SeriesTally] = {}
        self._pending: list[tuple[Any, ...]] = []
        self._children: dict[tuple[str, ...], Any] = {}

    # ---- the request path ----------------------------------------------------------------
    def add(self, record: tuple[Any, ...]) -> None:
        """One answered request (a traffic-log record, see request_log.RECORD_FIELDS)."""
        self._pending.append(record)

    def tally(self, endpoint: str, deployment: str) -> _SeriesTally:
        found = self._tallies.get((endpoint, deployment))
        if found is None:
            found = self._tallies[(endpoint, deployment)] = _SeriesTally()
        return found

    def in_flight_gauge(self, endpoint: str, deployment: str) -> Any:
        """Only requests that leave the event loop (the thread pool) can be seen in flight."""
        return self._child(self.in_flight, endpoint, deployment)

    # ---- off the request path ------------------------------------------------------------
    def publish(self) -> None:
        """Count the pending records, then move the tallies into the Prometheus metrics."""
        self._count_pending()
        tallies, self._tallies = self._tallies, {}
        for (endpoint, deployment), tally in tallies.items():
            for status, count in tally.statuses.items():
                self._child(self.requests, endpoint, deployment, str(status)).inc(count)
            for histogram, observed in (
                (self.latency, tally.latency),
                (self.model_latency, tally.model_latency),
            ):
                if observed.count:
                    _add(self._child(histogram, endpoint, deployment), observed)
            for counter, count in (
                (self.throttled_requests, tally.throttled),
                (self.mirrored_requests, tally.mirrored),
                (self.model_errors, tally.model_errors),
            ):
                if count:
                    self._child(counter, endpoint, deployment).inc(count)

    def _count_pending(self) -> None:
        pending, self._pending = self._pending, []
        for record in pending:
            # endpoint, deployment, status_code, duration_ms, model_duration_ms
            endpoint, deployment, status = record[2], record[3] or "", record[7]
            tally = self.tally(endpoint, deployment)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            tally.latency.observe(record[11] / 1000)
            if record[12] is not None:
                tally.model_latency.observe(record[12] / 1000)

    def exposition(self, endpoint: str | None = None) -> bytes:
        """The Prometheus text; with ``endpoint``, only that endpoint's samples (the
        ``/endpoints/<name>/metrics`` of a server that serves several)."""
        self.publish()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            MultiProcessCollector(combined)
            text = generate_latest(combined)
        else:
            text = generate_latest(self.registry)
        if endpoint is None:
            return text
        label = f'endpoint="{endpoint}"'.encode()
        kept = [line for line in text.splitlines() if line.startswith(b"#") or label in line]
        return b"\n".join(kept) + b"\n"

    def _child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        key = (metric._name, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


def _add(histogram: Any, tally: _Tally) -> None:
    """Add many observations at once. prometheus_client has no public call for it, so this
    does what ``Histogram.observe`` does per observation (per-bucket values, not cumulative,
    in the order of ``_upper_bounds``); tests/serving/test_metrics.py checks the result."""
    for value, count in zip(histogram._buckets, tally.buckets, strict=True):
        if count:
            value.inc(count)
    histogram._sum.inc(tally.total)
