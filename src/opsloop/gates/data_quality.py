"""The data quality gate: a table against a reference profile (schema, missing values,
ranges)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from opsloop.monitoring.profile import DataProfile, profile_table
from opsloop.schemas.promotions import GateResult


def check_data_quality(
    frame: pd.DataFrame,
    reference: DataProfile,
    *,
    source: str,
    max_missing_rate: float,
    max_out_of_range_rate: float,
) -> GateResult:
    """Every column of the reference is there with the same kind; each column's missing
    rate is at most ``max_missing_rate`` (or the reference's own, when higher); numeric
    values outside the reference's [min, max] are at most ``max_out_of_range_rate``."""
    current = {column.name: column for column in profile_table(frame).columns}
    rows: list[dict[str, Any]] = []
    for expected in reference.columns:
        found = current.get(expected.name)
        row: dict[str, Any] = {"column": expected.name, "kind": expected.kind}
        problems: list[str] = []
        if found is None:
            problems.append("missing")
        else:
            if found.kind != expected.kind:
                problems.append(f"is {found.kind}, was {expected.kind}")
            allowed = max(max_missing_rate, expected.missing_rate)
            row["missing_rate"] = found.missing_rate
            if found.missing_rate > allowed:
                problems.append(f"missing rate {found.missing_rate:.2%} > {allowed:.2%}")
            if expected.kind == "numeric" and expected.min is not None and expected.max is not None:
                rate = _out_of_range_rate(frame[expected.name], expected.min, expected.max)
                row["out_of_range_rate"] = rate
                if rate > max_out_of_range_rate:
                    problems.append(
                        f"{rate:.2%} of values outside [{expected.min:g}, {expected.max:g}]"
                    )
        row["problems"] = problems
        rows.append(row)
    extra = sorted(set(current) - {c.name for c in reference.columns})
    failed = [row for row in rows if row["problems"]]
    if failed:
        summary = "; ".join(f"{row['column']}: {', '.join(row['problems'])}" for row in failed)
    else:
        summary = f"{source}: {len(rows)} column(s) match the reference profile"
    return GateResult(gate="data_quality", passed=not failed, summary=summary,
                      evidence={"data": source, "rows": len(frame), "columns": rows,
                                "extra_columns": extra})  # fmt: skip


def _out_of_range_rate(values: pd.Series, low: float, high: float) -> float:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return 0.0
    return float(((numbers < low) | (numbers > high)).mean())
