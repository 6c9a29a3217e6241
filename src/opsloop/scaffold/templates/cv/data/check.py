"""Data checks run on every pull request: every pixel column is there, in [0, 1], never
missing, and each label is known and present.

    python data/check.py data/PROJECT-data.csv
"""

from __future__ import annotations

import sys

import pandas as pd
from generate import COLUMNS, LABELS, PIXELS
from run_checks import label_problems, run_checks, shape_problems


def check(frame: pd.DataFrame) -> list[str]:
    """Every problem found, as a sentence naming the column; empty when the data is fit."""
    problems = shape_problems(frame, COLUMNS)
    if problems:
        return problems
    pixels = frame[PIXELS]
    if pixels.isna().any().any():
        problems.append("pixel columns have missing values")
    if ((pixels < 0) | (pixels > 1)).any().any():
        problems.append("pixel values outside [0, 1]")
    problems += label_problems(frame["label"], LABELS)
    return problems


if __name__ == "__main__":
    sys.exit(run_checks(check))
