"""Score the candidate model on the test split and decide whether it beats the champion."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

TARGET = "cost"


class Predictor(Protocol):
    def predict(self, data: pd.DataFrame) -> Any: ...


def score_model(model: Predictor, test_df: pd.DataFrame) -> dict[str, float]:
    y_pred = np.asarray(model.predict(test_df.drop(columns=[TARGET])), dtype=float)
    y_true = test_df[TARGET]
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


def decide(candidate: dict[str, float], champion: dict[str, float] | None) -> bool:
    """Promote when there is no champion yet, or when the candidate's RMSE is strictly lower."""
    return champion is None or candidate["rmse"] < champion["rmse"]


def load_current_best(model_name: str) -> Predictor | None:
    """The latest registered version of ``model_name`` as a pyfunc model, or None if none exist."""
    try:
        from opsloop import Client
    except ImportError as exc:
        raise RuntimeError(
            "evaluate.py compares against the registry through the opsloop SDK, which is not "
            "installed in this environment: add 'opsloop' to the job environment"
        ) from exc
    client = Client()
    if not list(client.models.list(name=model_name)):
        return None
    return client.models.load(f"{model_name}@latest")


def evaluate(
    model_name: str,
    model_input: Path,
    test_data: Path,
    evaluation_output: Path,
    load_champion: Callable[[str], Predictor | None] = load_current_best,
) -> dict[str, Any]:
    test_df = pd.read_csv(test_data / "test.csv")
    candidate = score_model(mlflow.pyfunc.load_model(str(model_input)), test_df)
    champion_model = load_champion(model_name)
    champion = None if champion_model is None else score_model(champion_model, test_df)
    deploy = decide(candidate, champion)
    result = {
        "model_name": model_name,
        "candidate": candidate,
        "champion": champion,
        "deploy": deploy,
        "reason": (
            "no registered version yet"
            if champion is None
            else f"candidate rmse {candidate['rmse']:.4f} vs champion {champion['rmse']:.4f}"
        ),
    }
    evaluation_output.mkdir(parents=True, exist_ok=True)
    (evaluation_output / "deploy_flag").write_text("1" if deploy else "0")
    (evaluation_output / "metrics.json").write_text(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--model_input", type=Path, required=True, help="MLflow model folder")
    parser.add_argument("--test_data", type=Path, required=True, help="folder with test.csv")
    parser.add_argument("--evaluation_output", type=Path, required=True)
    args = parser.parse_args(argv)

    with mlflow.start_run():
        result = evaluate(args.model_name, args.model_input, args.test_data, args.evaluation_output)
        mlflow.log_metrics(result["candidate"])
        if result["champion"] is not None:
            mlflow.log_metrics({f"champion_{k}": v for k, v in result["champion"].items()})
        mlflow.log_metric("deploy_flag", int(result["deploy"]))
    print(f"deploy={result['deploy']}: {result['reason']}")


if __name__ == "__main__":
    main()
