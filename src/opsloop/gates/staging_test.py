"""The staging test gate: smoke requests, then a short bounded load test, against the
candidate's deployment as the serving runtime would score it (its own predictor, in the
driver's process: the model's time, without HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from opsloop.schemas.promotions import GateResult
from opsloop.scoring.protocols import Rows
from opsloop.specs.promotion import StagingTestGate


def run_staging_test(
    predict: Callable[[Rows], Any], requests: list[Rows], gate: StagingTestGate
) -> GateResult:
    smoke = []
    for rows in requests[: gate.smoke_requests]:
        error = _call(predict, rows)[1]
        smoke.append(error)
        if error is not None:
            return GateResult(
                gate="staging_test", passed=False,
                summary=f"smoke request {len(smoke)} failed: {error}",
                evidence={"smoke": {"requests": len(smoke), "error": error}},
            )  # fmt: skip
    started = time.perf_counter()
    with ThreadPoolExecutor(gate.concurrency) as pool:
        results = list(
            pool.map(
                lambda index: _call(predict, requests[index % len(requests)]),
                range(gate.requests),
            )
        )
    seconds = time.perf_counter() - started
    latencies = np.array([ms for ms, _ in results])
    errors = [error for _, error in results if error is not None]
    p50, p95, p99 = (float(v) for v in np.percentile(latencies, [50, 95, 99]))
    error_rate = len(errors) / len(results)
    problems = []
    if p99 > gate.slo.p99_latency_ms:
        problems.append(f"p99 latency {p99:.1f} ms > {gate.slo.p99_latency_ms:g} ms")
    if error_rate > gate.slo.error_rate:
        problems.append(f"error rate {error_rate:.2%} > {gate.slo.error_rate:.2%}")
    summary = (
        f"{gate.smoke_requests} smoke request(s) passed; {gate.requests} requests from "
        f"{gate.concurrency} callers: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"error rate {error_rate:.2%}"
    )
    return GateResult(
        gate="staging_test",
        passed=not problems,
        summary=("; ".join(problems) + f" ({summary})") if problems else summary,
        evidence={
            "smoke": {"requests": len(smoke)},
            "load": {
                "requests": len(results),
                "concurrency": gate.concurrency,
                "seconds": seconds,
                "requests_per_second": len(results) / seconds,
                "p50_ms": p50,
                "p95_ms": p95,
                "p99_ms": p99,
                "error_rate": error_rate,
                "first_error": errors[0] if errors else None,
            },
            "slo": gate.slo.model_dump(),
        },
    )


def sample_requests(frame: pd.DataFrame, rows_per_request: int) -> list[Rows]:
    """The sample's rows as requests of ``rows_per_request`` rows, carrying what a JSON
    request would: a missing value is null, never a float NaN (which the schema of a
    string column refuses, where the model itself would impute it)."""
    columns = [str(column) for column in frame.columns]
    values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    size = rows_per_request
    return [Rows(columns, values[i : i + size]) for i in range(0, len(values), size)]


def _call(predict: Callable[[Rows], Any], rows: Rows) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        predict(rows)
    except Exception as exc:  # the model's failure is the measurement
        return (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"[:300]
    return (time.perf_counter() - started) * 1000, None
