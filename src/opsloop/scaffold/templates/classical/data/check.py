"""Data checks run on every pull request: the training data has the columns the pipeline
reads, few missing values, and plausible values.

    python data/check.py data/PROJECT-data.csv
"""

from __future__ import annotations

import sys

import pandas as pd
from generate import COLUMNS, TARGET_COLUMN
from run_checks import run_checks, shape_problems

MAX_MISSING_RATE = 0.05
RANGES = {"distance": (0.0, 200.0), "passengers": (1, 9), "pickup_hour": (0, 23),
          "pickup_weekday": (0, 6), TARGET_COLUMN: (0.0, 1000.0)}  # fmt: skip


def check(frame: pd.DataFrame) -> list[str]:
    """Every problem found, as a sentence naming the column; empty when the data is fit."""
    problems = shape_problems(frame, COLUMNS)
    if problems:
        return problems
    if frame[TARGET_COLUMN].isna().any():
        problems.append(f"column {TARGET_COLUMN!r} (the target) has missing values")
    for column, rate in frame[COLUMNS].isna().mean().items():
        if rate > MAX_MISSING_RATE:
            problems.append(
                f"column {column!r}: {rate:.1%} missing (at most {MAX_MISSING_RATE:.0%})"
            )
    for column, (low, high) in RANGES.items():
        values = frame[column].dropna()
        outside = int(((values < low) | (values > high)).sum())
        if outside:
            problems.append(f"column {column!r}: {outside} values outside [{low}, {high}]")
    return problems


if __name__ == "__main__":
    sys.exit(run_checks(check))
