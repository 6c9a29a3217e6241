"""Split the raw CSV into train and test folders (80/20, deterministic)."""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

TRAIN_SHARE = 0.8


def split(frame: pd.DataFrame, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A seeded permutation: the same split on every run and machine."""
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(len(frame) * TRAIN_SHARE)
    return {
        "train": frame.iloc[order[:cut]].reset_index(drop=True),
        "test": frame.iloc[order[cut:]].reset_index(drop=True),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw_data", type=Path, required=True, help="the CSV file")
    parser.add_argument("--train_data", type=Path, required=True)
    parser.add_argument("--test_data", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    frame = pd.read_csv(args.raw_data)
    with mlflow.start_run():
        mlflow.log_metric("raw_rows", len(frame))
        for name, part in split(frame, args.seed).items():
            folder = args.train_data if name == "train" else args.test_data
            folder.mkdir(parents=True, exist_ok=True)
            part.to_csv(folder / f"{name}.csv", index=False)
            mlflow.log_metric(f"{name}_rows", len(part))


if __name__ == "__main__":
    main()
