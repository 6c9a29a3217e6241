"""A canary interval's analysis: the new deployment's own requests in the interval against
the policy's thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from opsloop.specs.promotion import Analysis

Verdict = Literal["passed", "failed", "inconclusive"]


@dataclass(frozen=True)
class IntervalAnalysis:
    verdict: Verdict
    requests: int
    success_rate: float | None
    p99_latency_ms: float | None
    reason: str

    def record(self) -> dict[str, object]:
        return {"verdict": self.verdict, "requests": self.requests,
                "success_rate": self.success_rate, "p99_latency_ms": self.p99_latency_ms,
                "reason": self.reason}  # fmt: skip


def analyse_interval(
    status_codes: list[int], durations_ms: list[float], analysis: Analysis
) -> IntervalAnalysis:
    """A request failed when the deployment is at fault: a 5xx, 424 (the model raised) or
    408 (it ran past the request timeout); a client's other 4xx are not the deployment's
    doing. p99 is the 99th percentile of the request durations (linear interpolation)."""
    count = len(status_codes)
    if count < analysis.min_requests:
        return IntervalAnalysis(
            "inconclusive", count, None, None,
            f"{count} request(s), fewer than {analysis.min_requests}: too few to judge",
        )  # fmt: skip
    success = sum(1 for code in status_codes if not _deployment_failed(code)) / count
    p99 = float(np.percentile(np.array(durations_ms), 99))
    problems = []
    if success < analysis.success_rate:
        problems.append(f"success rate {success:.2%} < {analysis.success_rate:.2%}")
    if p99 > analysis.p99_latency_ms:
        problems.append(f"p99 latency {p99:.0f} ms > {analysis.p99_latency_ms:g} ms")
    if problems:
        return IntervalAnalysis("failed", count, success, p99, "; ".join(problems))
    return IntervalAnalysis(
        "passed", count, success, p99,
        f"{count} requests, success rate {success:.2%}, p99 latency {p99:.0f} ms",
    )  # fmt: skip


def _deployment_failed(status_code: int) -> bool:
    return status_code >= 500 or status_code in (408, 424)
