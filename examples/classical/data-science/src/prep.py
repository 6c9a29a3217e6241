"""Split raw taxi trips into train/val/test folders (70/15/15, deterministic)."""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

SPLITS = {"train": 0.70, "val": 0.15, "test": 0.15}


def read_raw(raw: Path) -> pd.DataFrame:
    """Read one CSV/parquet file, or every CSV/parquet file of a folder (sorted, concatenated)."""
    if raw.is_dir():
        files = sorted(p for p in raw.rglob("*") if p.suffix.lower() in {".csv", ".parquet"})
        if not files:
            raise FileNotFoundError(f"no .csv or .parquet files under {raw}")
    else:
        files = [raw]
    frames = [
        pd.read_parquet(f) if f.suffix.lower() == ".parquet" else pd.read_csv(f) for f in files
    ]
    return pd.concat(frames, ignore_index=True)


def split(df: pd.DataFrame, seed: int = 0) -> dict[str, pd.DataFrame]:
    # A seeded permutation keeps the split reproducible across runs and machines.
    order = np.random.default_rng(seed).permutation(len(df))
    n_train = round(len(df) * SPLITS["train"])
    n_val = round(len(df) * SPLITS["val"])
    bounds = {
        "train": (0, n_train),
        "val": (n_train, n_train + n_val),
        "test": (n_train + n_val, len(df)),
    }
    return {name: df.iloc[order[lo:hi]].reset_index(drop=True) for name, (lo, hi) in bounds.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw_data", type=Path, required=True, help="CSV/parquet file or folder")
    parser.add_argument("--train_data", type=Path, required=True)
    parser.add_argument("--val_data", type=Path, required=True)
    parser.add_argument("--test_data", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    df = read_raw(args.raw_data)
    parts = split(df, args.seed)
    outputs = {"train": args.train_data, "val": args.val_data, "test": args.test_data}
    with mlflow.start_run():
        mlflow.log_metric("raw_rows", len(df))
        for name, part in parts.items():
            outputs[name].mkdir(parents=True, exist_ok=True)
            part.to_csv(outputs[name] / f"{name}.csv", index=False)
            mlflow.log_metric(f"{name}_rows", len(part))
            print(f"{name}: {len(part)} rows -> {outputs[name] / f'{name}.csv'}")


if __name__ == "__main__":
    main()
