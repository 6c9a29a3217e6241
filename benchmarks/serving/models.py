"""The benchmark's models: train the scikit-learn models and save them in MLflow format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = [f"f{i}" for i in range(20)]
SEED = 0
BATCH_ROWS = 1000  # the largest request (see bodies.py)


@dataclass
class Model:
    name: str
    path: Path
    body: bytes  # the one-row dataframe_split request body
    expected: list  # the in-process model's prediction for that row
    rows: np.ndarray  # BATCH_ROWS rows (the first is the body's), rounded as the body's
    predicted: list  # the in-process model's predictions for them


def train_and_save(folder: Path, serialization: str) -> list[Model]:
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, random_state=SEED)
    frame = pd.DataFrame(X, columns=FEATURES)
    rows = np.round(X[:BATCH_ROWS], 6)
    row = rows[0].tolist()
    body = json.dumps({"dataframe_split": {"columns": FEATURES, "data": [row]}}).encode()
    row_frame = pd.DataFrame([row], columns=FEATURES)
    estimators = {
        "forest": RandomForestClassifier(n_estimators=100, random_state=SEED),
        "logreg": LogisticRegression(max_iter=1000, random_state=SEED),
    }
    models = []
    for name, est in estimators.items():
        est.fit(frame, y)
        path = folder / "models" / name
        # Explicit requirements skip MLflow's requirement inference (a subprocess, ~5 s).
        kwargs: dict = {
            "serialization_format": serialization,
            "pip_requirements": mlflow.sklearn.get_default_pip_requirements(
                include_cloudpickle=serialization == "cloudpickle",
                include_skops=serialization == "skops",
            ),
        }
        if serialization == "skops":
            kwargs["skops_trusted_types"] = ["sklearn.tree._tree.Tree", "numpy.dtype"]
        mlflow.sklearn.save_model(
            est,
            str(path),
            signature=infer_signature(frame, est.predict(frame)),
            input_example=frame.iloc[:1],
            **kwargs,
        )
        predicted = est.predict(pd.DataFrame(rows, columns=FEATURES)).tolist()
        models.append(Model(name, path, body, est.predict(row_frame).tolist(), rows, predicted))
    return models
