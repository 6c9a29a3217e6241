"""Data checks run on every pull request: text and label are there, no text is empty, and
each label is known and present.

    python data/check.py data/PROJECT-data.csv
"""

from __future__ import annotations

import sys

import pandas as pd
from generate import COLUMNS, LABELS
from run_checks import label_problems, run_checks, shape_problems


def check(frame: pd.DataFrame) -> list[str]:
    """Every problem found, as a sentence naming the column; empty when the data is fit."""
    problems = shape_problems(frame, COLUMNS)
    if problems:
        return problems
    empty = int(frame["text"].fillna("").str.strip().eq("").sum())
    if empty:
        problems.append(f"column 'text': {empty} empty texts")
    problems += label_problems(frame["label"], LABELS)
    return problems


if __name__ == "__main__":
    sys.exit(run_checks(check))
