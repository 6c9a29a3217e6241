"""A shadow interval's analysis: the candidate's answers to mirrored requests against the
live deployment's answers to the same requests, and the candidate's own health on them.

Labels (text, booleans, integers) are compared by equality, as an agreement rate; numbers by
the mean absolute difference over every value, and that difference relative to the mean
absolute live value. A prediction that is a list (several outputs) is compared as a whole
for labels, value by value for numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from opsloop.gates.canary import Verdict, analyse_interval
from opsloop.specs.promotion import Analysis, Comparison

# Disagreements kept as examples in the evidence.
EXAMPLES = 5


@dataclass(frozen=True)
class MirroredRequest:
    """One row of the traffic log: a request the candidate answered as a shadow."""

    request_id: str
    status_code: int
    duration_ms: float
    comparison: dict[str, Any] | None


@dataclass(frozen=True)
class ShadowAnalysis:
    verdict: Verdict
    mirrored: int
    compared: int  # requests with both answers
    predictions: int  # rows compared
    reason: str
    success_rate: float | None = None
    p99_latency_ms: float | None = None
    outputs: Literal["labels", "numbers"] | None = None
    agreement_rate: float | None = None
    mean_absolute_difference: float | None = None
    relative_difference: float | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, object]:
        """The comparison table, as the promotion keeps it."""
        return {"verdict": self.verdict, "reason": self.reason, "requests": self.mirrored,
                "compared_requests": self.compared, "compared_predictions": self.predictions,
                "success_rate": self.success_rate, "p99_latency_ms": self.p99_latency_ms,
                "outputs": self.outputs, "agreement_rate": self.agreement_rate,
                "mean_absolute_difference": self.mean_absolute_difference,
                "relative_difference": self.relative_difference,
                "disagreements": self.examples}  # fmt: skip


def analyse_shadow(
    requests: list[MirroredRequest], analysis: Analysis, comparison: Comparison
) -> ShadowAnalysis:
    """Fewer than ``min_requests`` mirrored, or compared, requests: inconclusive. A shadow
    that fails requests or is slow fails as a canary would; then its answers are judged."""
    health = analyse_interval(
        [r.status_code for r in requests], [r.duration_ms for r in requests], analysis
    )
    compared = [r for r in requests if r.comparison is not None]

    def verdict(
        verdict: Verdict, reason: str, predictions: int = 0, **judged: Any
    ) -> ShadowAnalysis:
        return ShadowAnalysis(
            verdict, len(requests), len(compared), predictions, reason,
            health.success_rate, health.p99_latency_ms, **judged,
        )  # fmt: skip

    if health.verdict != "passed":
        prefix = "the shadow's own requests: " if health.verdict == "failed" else ""
        return verdict(health.verdict, prefix + health.reason)
    if len(compared) < analysis.min_requests:
        return verdict("inconclusive", f"{len(compared)} compared request(s), fewer than "
                       f"{analysis.min_requests}: too few to judge")  # fmt: skip
    pairs = _pairs(compared)
    kind = _kind(pairs, comparison)
    judged = _labels(pairs, comparison) if kind == "labels" else _numbers(pairs, comparison)
    return verdict(predictions=len(pairs), outputs=kind, **judged)


def _pairs(compared: list[MirroredRequest]) -> list[tuple[str, Any, Any]]:
    pairs: list[tuple[str, Any, Any]] = []
    for request in compared:
        assert request.comparison is not None
        live, shadow = request.comparison.get("live", []), request.comparison.get("shadow", [])
        if len(live) != len(shadow):  # a different number of answers: none of them agree
            pairs.extend((request.request_id, value, None) for value in live)
            continue
        pairs.extend((request.request_id, a, b) for a, b in zip(live, shadow, strict=True))
    return pairs


def _kind(
    pairs: list[tuple[str, Any, Any]], comparison: Comparison
) -> Literal["labels", "numbers"]:
    if comparison.outputs != "auto":
        return comparison.outputs
    values = [v for _, live, _ in pairs for v in _flat(live)]
    numbers = values and all(isinstance(v, float) for v in values)
    return "numbers" if numbers else "labels"


def _labels(pairs: list[tuple[str, Any, Any]], comparison: Comparison) -> dict[str, Any]:
    differing = [(rid, live, shadow) for rid, live, shadow in pairs if live != shadow]
    rate = 1 - len(differing) / len(pairs) if pairs else 0.0
    passed = bool(pairs) and rate >= comparison.agreement_rate
    reason = (
        f"{len(pairs)} predictions of {len({p[0] for p in pairs})} requests: agreement "
        f"{rate:.2%} " + (">=" if passed else "<") + f" {comparison.agreement_rate:.2%}"
    )
    return {"verdict": "passed" if passed else "failed", "reason": reason,
            "agreement_rate": rate, "examples": _examples(differing)}  # fmt: skip


def _numbers(pairs: list[tuple[str, Any, Any]], comparison: Comparison) -> dict[str, Any]:
    differences: list[float] = []
    live_sizes: list[float] = []
    differing = []
    incomparable = 0
    for rid, live, shadow in pairs:
        a, b = _flat(live), _flat(shadow)
        if len(a) != len(b) or not all(_is_number(v) for v in (*a, *b)):
            incomparable += 1
            differing.append((rid, live, shadow))
            continue
        gaps = [abs(float(x) - float(y)) for x, y in zip(a, b, strict=True)]
        differences.extend(gaps)
        live_sizes.extend(abs(float(x)) for x in a)
        if any(gap > 0 for gap in gaps):
            differing.append((rid, live, shadow))
    mad = sum(differences) / len(differences) if differences else 0.0
    scale = sum(live_sizes) / len(live_sizes) if live_sizes else 0.0
    # Live outputs all zero: no scale to relate to (None), unless nothing differs either.
    relative = mad / scale if scale else (0.0 if mad == 0 else None)
    max_mad, max_relative = comparison.numeric_limits()
    problems = [f"{incomparable} prediction(s) not comparable as numbers"] if incomparable else []
    if max_mad is not None and mad > max_mad:
        problems.append(f"mean absolute difference {mad:.6g} > {max_mad:g}")
    shown = "n/a (the live outputs are all 0)" if relative is None else f"{relative:.4%}"
    if max_relative is not None and (relative is None or relative > max_relative):
        problems.append(f"relative difference {shown} > {max_relative:.4%}")
    summary = (f"{len(pairs)} predictions of {len({p[0] for p in pairs})} requests: mean "
               f"absolute difference {mad:.6g}, relative {shown}")  # fmt: skip
    return {"verdict": "failed" if problems else "passed",
            "reason": summary + (f" ({'; '.join(problems)})" if problems else ""),
            "mean_absolute_difference": mad, "relative_difference": relative,
            "examples": _examples(differing)}  # fmt: skip


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flat(item)]
    return [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _examples(differing: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    return [{"request_id": rid, "live": live, "shadow": shadow}
            for rid, live, shadow in differing[:EXAMPLES]]  # fmt: skip
