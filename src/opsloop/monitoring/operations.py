"""Endpoint operations over a window of the traffic log (one row per scored request).

- ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``: percentiles of the request
  duration (numpy's default linear interpolation), over every request.
- ``error_rate``: requests answered 5xx / requests.
- ``throttled_rate``: requests answered 429 (over a request limit) / requests.
- ``requests_per_minute``: requests / the window's length in minutes.

Rates are 0 and percentiles undefined (None) for a window without requests. Every
metric breaches when above its threshold; only the rates have defaults
(``DEFAULT_OPERATIONS_THRESHOLDS``).
"""

from __future__ import annotations

import numpy as np

DEFAULT_OPERATIONS_THRESHOLDS: dict[str, float | None] = {
    "latency_p50_ms": None,
    "latency_p95_ms": None,
    "latency_p99_ms": None,
    "error_rate": 0.05,
    "throttled_rate": 0.05,
    "requests_per_minute": None,
}


def operations_metrics(
    durations_ms: np.ndarray, status_codes: np.ndarray, window_minutes: float
) -> dict[str, float | None]:
    durations = np.asarray(durations_ms, dtype="float64")
    codes = np.asarray(status_codes, dtype="int64")
    count = codes.size
    percentiles: list[float | None] = (
        [float(v) for v in np.percentile(durations, [50, 95, 99])] if durations.size else [None] * 3
    )
    return {
        "latency_p50_ms": percentiles[0],
        "latency_p95_ms": percentiles[1],
        "latency_p99_ms": percentiles[2],
        "error_rate": float(np.sum(codes >= 500)) / count if count else 0.0,
        "throttled_rate": float(np.sum(codes == 429)) / count if count else 0.0,
        "requests_per_minute": count / window_minutes if window_minutes > 0 else 0.0,
    }
