"""Train the project's classifier (model.py), log its accuracy on the train and test splits
and save it as an MLflow model in the safe skops format."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.sklearn
import model
import pandas as pd
from mlflow.models import infer_signature
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

TARGET = "label"
# Listing requirements skips MLflow's inference, which re-loads the model in a subprocess.
PIP_REQUIREMENTS = [
    f"{pkg}=={version(pkg)}"
    for pkg in ("mlflow", "scikit-learn", "skops", "pandas", "numpy", "scipy")
]


def features(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[model.FEATURES]


def fit(train: pd.DataFrame) -> Pipeline:
    pipe = model.build_pipeline()
    pipe.fit(features(train), train[TARGET])
    return pipe


def accuracy(pipe: Pipeline, frame: pd.DataFrame) -> float:
    return float(accuracy_score(frame[TARGET], pipe.predict(features(frame))))


def save_mlflow_model(pipe: Pipeline, x_sample: pd.DataFrame, model_output: Path) -> None:
    """Save into ``model_output`` even if the platform pre-created it (save_model wants a
    new or empty folder)."""
    signature = infer_signature(x_sample, pipe.predict(x_sample))
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        mlflow.sklearn.save_model(
            pipe,
            path=str(staged),
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            skops_trusted_types=model.TRUSTED_TYPES,
            signature=signature,
            input_example=x_sample,
            pip_requirements=PIP_REQUIREMENTS,
        )
        model_output.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, model_output, dirs_exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train_data", type=Path, required=True, help="folder with train.csv")
    parser.add_argument("--test_data", type=Path, required=True, help="folder with test.csv")
    parser.add_argument("--model_output", type=Path, required=True)
    args = parser.parse_args(argv)

    train = pd.read_csv(args.train_data / "train.csv")
    test = pd.read_csv(args.test_data / "test.csv")
    pipe = fit(train)
    metrics = {"training_accuracy": accuracy(pipe, train), "test_accuracy": accuracy(pipe, test)}
    with mlflow.start_run():
        mlflow.log_param("train_rows", len(train))
        mlflow.log_metrics(metrics)
        save_mlflow_model(pipe, features(train).head(5), args.model_output)
    print(f"metrics: {metrics}; model saved to {args.model_output}")


if __name__ == "__main__":
    main()
