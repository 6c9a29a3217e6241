"""Tallies published in bulk give the same exposition as prometheus_client fed one by one."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from opsloop.serving.collection.request_log import RECORD_FIELDS
from opsloop.serving.online.metrics import LABELS, LATENCY_BUCKETS, ServingMetrics

SECONDS = [0.0001, 0.0005, 0.0007, 0.003, 0.003, 0.04, 0.9, 12.0, 0.002]


def _record(status: int, seconds: float, model_s: float | None) -> tuple[object, ...]:
    fields = dict.fromkeys(RECORD_FIELDS)
    fields.update(
        endpoint="ep", deployment="blue", status_code=status, duration_ms=seconds * 1000,
        model_duration_ms=None if model_s is None else model_s * 1000,
    )  # fmt: skip
    return tuple(fields.values())


def _samples(exposition: bytes, prefix: str) -> list[str]:
    return [line for line in exposition.decode().splitlines() if line.startswith(prefix)]


def test_published_histograms_and_counts_match_one_by_one_observations() -> None:
    metrics = ServingMetrics()
    for index, seconds in enumerate(SECONDS):
        metrics.add(_record(200 if index % 3 else 424, seconds, seconds / 2))
    metrics.publish()
    metrics.add(_record(200, 0.0042, None))  # after a publish: added on top
    metrics.tally("ep", "green").throttled += 2
    exposition = metrics.exposition()

    reference = CollectorRegistry()
    latency = Histogram(
        "opsloop_endpoint_request_duration_seconds", "x", LABELS, buckets=LATENCY_BUCKETS,
        registry=reference,
    )  # fmt: skip
    requests = Counter("opsloop_endpoint_requests", "x", (*LABELS, "status_code"),
                       registry=reference)  # fmt: skip
    for index, seconds in enumerate([*SECONDS, 0.0042]):
        latency.labels("ep", "blue").observe(seconds)
        status = "200" if index % 3 or index == len(SECONDS) else "424"
        requests.labels("ep", "blue", status).inc()
    expected = generate_latest(reference)

    for prefix in (
        "opsloop_endpoint_request_duration_seconds_bucket",
        "opsloop_endpoint_request_duration_seconds_sum",
        "opsloop_endpoint_request_duration_seconds_count",
        "opsloop_endpoint_requests_total",
    ):
        assert _samples(exposition, prefix) == _samples(expected, prefix), prefix
    assert (
        'opsloop_endpoint_throttled_requests_total{deployment="green",endpoint="ep"} 2.0'
        in exposition.decode()
    )
    # The model histogram saw nine observations: the request without one is not counted.
    assert (
        'opsloop_endpoint_model_duration_seconds_count{deployment="blue",endpoint="ep"} 9.0'
        in exposition.decode()
    )
