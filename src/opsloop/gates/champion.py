"""The champion comparison gate: candidate and champion scored on the same test rows.

The candidate passes when it is at most ``tolerance`` worse than the champion on the
metric (worse means higher for errors such as rmse, lower for scores such as accuracy).
With ``bootstrap``, the test rows are resampled ``samples`` times and the difference gets
a percentile confidence interval: a worsening beyond the tolerance whose interval still
reaches the tolerance is inside the noise, and is reported as such rather than refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn import metrics as sk

from opsloop.schemas.promotions import GateResult
from opsloop.specs.promotion import LOWER_IS_BETTER, Bootstrap

Metric = Callable[[np.ndarray, np.ndarray], float]


def metric_function(name: str, labels: np.ndarray) -> Metric:
    """The metric of ``name``; classification averages are binary for two classes, macro
    for more."""
    average = "binary" if len(np.unique(labels)) <= 2 else "macro"
    functions: dict[str, Metric] = {
        "rmse": lambda t, p: math.sqrt(sk.mean_squared_error(t, p)),
        "mse": lambda t, p: float(sk.mean_squared_error(t, p)),
        "mae": lambda t, p: float(sk.mean_absolute_error(t, p)),
        "r2": lambda t, p: float(sk.r2_score(t, p)),
        "accuracy": lambda t, p: float(sk.accuracy_score(t, p)),
        "f1": lambda t, p: float(sk.f1_score(t, p, average=average, zero_division=0)),
        "precision": lambda t, p: float(sk.precision_score(t, p, average=average, zero_division=0)),
        "recall": lambda t, p: float(sk.recall_score(t, p, average=average, zero_division=0)),
    }
    return functions[name]


def compare_with_champion(
    labels: np.ndarray,
    candidate: np.ndarray,
    champion: np.ndarray,
    *,
    metric: str,
    tolerance: float,
    bootstrap: Bootstrap | None,
    names: tuple[str, str],
) -> GateResult:
    """``names``: how the report names the candidate and the champion."""
    score = metric_function(metric, labels)
    candidate_value, champion_value = score(labels, candidate), score(labels, champion)
    worse_by = _worsening(metric, candidate_value, champion_value)
    evidence: dict[str, object] = {
        "metric": metric, "tolerance": tolerance, "rows": len(labels),
        "candidate": {"model": names[0], "value": candidate_value},
        "champion": {"model": names[1], "value": champion_value},
        "worse_by": worse_by,
    }  # fmt: skip
    passed = worse_by <= tolerance
    verdict = f"{metric} {candidate_value:.6g} vs champion {champion_value:.6g}: " + (
        f"worse by {worse_by:.4g}" if worse_by > 0 else f"better by {-worse_by:.4g}"
    )
    if bootstrap is not None:
        low, high = _interval(labels, candidate, champion, score, metric, bootstrap)
        evidence["bootstrap"] = {"samples": bootstrap.samples, "confidence": bootstrap.confidence,
                                 "worse_by_interval": [low, high]}  # fmt: skip
        level = f"{bootstrap.confidence:.0%} interval [{low:.4g}, {high:.4g}]"
        if not passed and low <= tolerance:
            passed = True
            verdict += f", inside the noise ({level} reaches the tolerance {tolerance:g})"
        else:
            verdict += f" ({level})"
    if not passed:
        verdict += f", more than the tolerance {tolerance:g}"
    return GateResult(gate="champion_comparison", passed=passed, summary=verdict,
                      evidence=evidence)  # fmt: skip


def _worsening(metric: str, candidate: float, champion: float) -> float:
    return candidate - champion if metric in LOWER_IS_BETTER else champion - candidate


def _interval(
    labels: np.ndarray,
    candidate: np.ndarray,
    champion: np.ndarray,
    score: Metric,
    metric: str,
    bootstrap: Bootstrap,
) -> tuple[float, float]:
    """A percentile interval of the worsening over resamples of the test rows."""
    generator = np.random.default_rng(bootstrap.seed)
    count = len(labels)
    draws = []
    for _ in range(bootstrap.samples):
        rows = generator.integers(0, count, count)
        draws.append(
            _worsening(
                metric, score(labels[rows], candidate[rows]), score(labels[rows], champion[rows])
            )
        )
    tail = (1.0 - bootstrap.confidence) / 2.0
    low, high = np.quantile(np.array(draws), [tail, 1.0 - tail])
    return float(low), float(high)
