"""The metric threshold gate: the version's own logged metrics within bounds."""

from __future__ import annotations

from typing import Any

from opsloop.schemas.promotions import GateResult
from opsloop.specs.promotion import Bound


def check_metric_thresholds(
    metrics: dict[str, float], bounds: dict[str, Bound], source: str
) -> GateResult:
    """``source`` says where the metrics come from (the job step), for the report."""
    rows: list[dict[str, Any]] = []
    for name, bound in sorted(bounds.items()):
        value = metrics.get(name)
        passed = value is not None and (
            (bound.min is None or value >= bound.min) and (bound.max is None or value <= bound.max)
        )
        rows.append({"metric": name, "value": value, "min": bound.min, "max": bound.max,
                     "passed": passed})  # fmt: skip
    failed = [row for row in rows if not row["passed"]]
    if not failed:
        summary = f"{len(rows)} metric(s) of {source} within bounds"
    else:
        summary = "; ".join(_why(row, source) for row in failed)
    return GateResult(gate="metric_threshold", passed=not failed, summary=summary,
                      evidence={"source": source, "metrics": rows})  # fmt: skip


def _why(row: dict[str, Any], source: str) -> str:
    if row["value"] is None:
        return f"{row['metric']} was not logged by {source}"
    limits = " and ".join(f"{side} {row[side]}" for side in ("min", "max") if row[side] is not None)
    return f"{row['metric']} = {row['value']:.6g} is outside {limits}"
