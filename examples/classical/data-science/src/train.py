"""Train a random-forest taxi-fare regressor and save it as an MLflow model."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import warnings
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

NUMERIC = [
    "distance",
    "passengers",
    "pickup_hour",
    "pickup_weekday",
    "pickup_lat",
    "pickup_lon",
    "dropoff_lat",
    "dropoff_lon",
    "trip_minutes",
]
CATEGORICAL = ["vendor", "store_forward", "payment_type"]
TARGET = "cost"
# skops (MLflow's default format: no arbitrary code runs on load) refuses types outside its
# allow-list; these two are what this pipeline adds (fitted trees, OneHotEncoder's dtype).
SKOPS_TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]
# Listing requirements skips MLflow's inference, which re-loads the model in a subprocess.
PIP_REQUIREMENTS = [
    f"{pkg}=={version(pkg)}"
    for pkg in ("mlflow", "scikit-learn", "skops", "pandas", "numpy", "scipy")
]


def build_pipeline(n_estimators: int, max_depth: int | None, random_state: int) -> Pipeline:
    features = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORICAL,
            ),
        ]
    )
    # No n_jobs: threaded predict adds tree outputs in arbitrary order, so scoring the same model
    # twice could differ in the last bits and turn evaluate's tie into a spurious win.
    forest = RandomForestRegressor(
        n_estimators=n_estimators, max_depth=max_depth, random_state=random_state
    )
    return Pipeline([("features", features), ("model", forest)])


def regression_metrics(y_true: pd.Series, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


def save_mlflow_model(pipe: Pipeline, x_sample: pd.DataFrame, model_output: Path) -> None:
    """Save into ``model_output`` even if the platform pre-created it (save_model wants a new
    or empty dir)."""
    with warnings.catch_warnings():
        # Integer columns are never missing in this data and CSV readers give int64, so the
        # "long" schema is the intended contract; MLflow's hint about NaN-able ints is noise.
        warnings.filterwarnings("ignore", message=".*integer column", category=UserWarning)
        signature = infer_signature(x_sample, pipe.predict(x_sample))
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        mlflow.sklearn.save_model(
            pipe,
            path=str(staged),
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            signature=signature,
            input_example=x_sample,
            pip_requirements=PIP_REQUIREMENTS,
        )
        model_output.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, model_output, dirs_exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train_data", type=Path, required=True, help="folder with train.csv")
    parser.add_argument("--model_output", type=Path, required=True)
    parser.add_argument("--n_estimators", type=int, default=50)
    parser.add_argument("--max_depth", type=int, default=None)
    parser.add_argument("--random_state", type=int, default=0)
    args = parser.parse_args(argv)

    df = pd.read_csv(args.train_data / "train.csv")
    x, y = df[NUMERIC + CATEGORICAL], df[TARGET]
    pipe = build_pipeline(args.n_estimators, args.max_depth, args.random_state)
    pipe.fit(x, y)
    metrics = regression_metrics(y, pipe.predict(x))

    with mlflow.start_run():
        mlflow.log_param("n_estimators", args.n_estimators)
        mlflow.log_param("max_depth", args.max_depth)
        mlflow.log_param("random_state", args.random_state)
        mlflow.log_param("train_rows", len(df))
        for name, value in metrics.items():
            mlflow.log_metric(f"training_{name}", value)
        save_mlflow_model(pipe, x.head(5), args.model_output)
    print(f"training metrics: {metrics}; model saved to {args.model_output}")


if __name__ == "__main__":
    main()
