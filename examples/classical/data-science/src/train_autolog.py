"""Fit a linear taxi-fare baseline with everything logged by ``mlflow.sklearn.autolog()``."""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

TARGET = "cost"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="taxi trips CSV")
    args = parser.parse_args(argv)

    # Autolog records params, training metrics (training_score, training_r2_score, ...) and the
    # model itself; this script deliberately makes no explicit logging calls. (Autolog keeps its
    # cloudpickle default: it cannot pass skops_trusted_types, and skops rejects numpy.dtype.)
    mlflow.sklearn.autolog()
    df = pd.read_csv(args.data)
    x = df.drop(columns=[TARGET]).select_dtypes("number")
    with mlflow.start_run():
        make_pipeline(SimpleImputer(strategy="median"), LinearRegression()).fit(x, df[TARGET])
    print(f"fitted LinearRegression on {len(df)} rows, {x.shape[1]} numeric features")


if __name__ == "__main__":
    main()
