"""The command line of data/check.py: read the CSV, print each problem (or ok), exit 1 on any."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

MIN_ROWS = 100


def shape_problems(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """A missing column or too few rows: the checks that come before any other."""
    problems = [f"column {c!r} is missing" for c in columns if c not in frame.columns]
    if not problems and len(frame) < MIN_ROWS:
        problems.append(f"{len(frame)} rows; at least {MIN_ROWS} are needed")
    return problems


def label_problems(labels: pd.Series, known: list[str]) -> list[str]:
    """Labels outside ``known``, or a known label with no example."""
    problems = []
    unknown = set(labels.dropna()) - set(known)
    if unknown:
        problems.append(f"column {labels.name!r}: unknown labels {sorted(unknown)}")
    absent = set(known) - set(labels)
    if absent:
        problems.append(f"column {labels.name!r}: no examples of {sorted(absent)}")
    return problems


def run_checks(check: Callable[[pd.DataFrame], list[str]], argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the training data.")
    parser.add_argument("data", type=Path, help="the CSV file to check")
    args = parser.parse_args(argv)
    problems = check(pd.read_csv(args.data))
    for problem in problems:
        print(f"{args.data}: {problem}")
    if not problems:
        print(f"{args.data}: ok")
    return 1 if problems else 0
