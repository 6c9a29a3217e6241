"""The fairness gate: group fairness of a classifier's predictions, with fairlearn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import ValidationError
from opsloop.schemas.promotions import GateResult


def check_fairness(
    labels: np.ndarray,
    predictions: np.ndarray,
    groups: pd.DataFrame,
    limits: dict[str, float],
) -> GateResult:
    """Each metric of ``limits`` (fairlearn's demographic parity difference, equalized odds
    difference: 0 is parity) at most its limit. Evidence: the values and, per group, the
    selection rate, true and false positive rates and the row count."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        demographic_parity_difference,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    functions = {
        "demographic_parity_difference": demographic_parity_difference,
        "equalized_odds_difference": equalized_odds_difference,
    }
    positive = _positive_label(labels, predictions)
    truth, predicted = labels == positive, predictions == positive
    values = {
        name: float(functions[name](truth, predicted, sensitive_features=groups))
        for name in sorted(limits)
    }
    by_group = MetricFrame(
        metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                 "false_positive_rate": false_positive_rate, "rows": count},
        y_true=truth, y_pred=predicted, sensitive_features=groups,
    ).by_group  # fmt: skip
    breaches = [name for name, value in values.items() if value > limits[name]]
    summary = "; ".join(
        f"{name} = {values[name]:.4g} (limit {limits[name]:g})" for name in sorted(values)
    )
    return GateResult(
        gate="fairness",
        passed=not breaches,
        summary=("over the limit: " if breaches else "within limits: ") + summary,
        evidence={
            "sensitive_features": list(groups.columns),
            "positive_label": _plain(positive),
            "metrics": [
                {
                    "metric": name,
                    "value": values[name],
                    "limit": limits[name],
                    "passed": name not in breaches,
                }
                for name in sorted(values)
            ],
            "by_group": _table(by_group),
        },
    )


def _positive_label(labels: np.ndarray, predictions: np.ndarray) -> Any:
    """1 or True where the labels have it, else the larger of two labels; more than two
    labels have no positive class to compare groups on."""
    classes = sorted(set(np.unique(labels)) | set(np.unique(predictions)), key=str)
    if len(classes) > 2:
        raise ValidationError(
            f"fairness metrics need a binary classifier; the labels and predictions hold "
            f"{len(classes)} values",
            field="label_column",
        )
    for positive in (1, True, "1", "yes", "true"):
        if positive in classes:
            return positive
    return classes[-1]


def _table(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.reset_index().to_dict(orient="records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
