"""Model performance from predictions and ground truth joined on the correlation id.

Classification: ``accuracy`` (share of exact matches); ``precision``, ``recall`` and
``f1`` macro-averaged over the classes present in either column (each class's score with
0 where its denominator is 0, then the plain mean), as scikit-learn's ``average="macro",
zero_division=0``. Regression: ``mae``, ``mse``, ``rmse``. Classification metrics breach
when *below* their threshold, regression metrics when *above* it.
"""

from __future__ import annotations

import numpy as np

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1")
REGRESSION_METRICS = ("mae", "mse", "rmse")
LOWER_IS_WORSE = frozenset(CLASSIFICATION_METRICS)


def classification_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    actual, predicted = np.asarray(actual).astype(str), np.asarray(predicted).astype(str)
    if actual.size == 0:
        return {}
    classes = np.union1d(actual, predicted)
    precisions, recalls, f1s = [], [], []
    for label in classes:
        true_positive = float(np.sum((predicted == label) & (actual == label)))
        said, real = float(np.sum(predicted == label)), float(np.sum(actual == label))
        precision = true_positive / said if said else 0.0
        recall = true_positive / real if real else 0.0
        both = precision + recall
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(2 * precision * recall / both if both else 0.0)
    return {
        "accuracy": float(np.mean(actual == predicted)),
        "precision": float(np.mean(precisions)),
        "recall": float(np.mean(recalls)),
        "f1": float(np.mean(f1s)),
    }


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    errors = np.asarray(predicted, dtype="float64") - np.asarray(actual, dtype="float64")
    if errors.size == 0:
        return {}
    mse = float(np.mean(errors**2))
    return {"mae": float(np.mean(np.abs(errors))), "mse": mse, "rmse": float(np.sqrt(mse))}
