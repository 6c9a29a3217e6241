"""Model performance, endpoint operations and feature attribution metrics, each against an
independent computation (scikit-learn, numpy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from opsloop.monitoring.attribution import feature_importances, ndcg
from opsloop.monitoring.operations import operations_metrics
from opsloop.monitoring.performance import classification_metrics, regression_metrics


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_classification_metrics_match_scikit_learn_macro_averages(classes: int) -> None:
    rng = np.random.default_rng(classes)
    actual = rng.integers(0, classes, size=500)
    predicted = np.where(rng.random(500) < 0.7, actual, rng.integers(0, classes, size=500))
    predicted[:3] = classes + 1  # a class that never happened: zero precision, no recall
    found = classification_metrics(actual, predicted)
    options = {"average": "macro", "zero_division": 0}
    assert found["accuracy"] == pytest.approx(sk.accuracy_score(actual, predicted))
    assert found["precision"] == pytest.approx(sk.precision_score(actual, predicted, **options))
    assert found["recall"] == pytest.approx(sk.recall_score(actual, predicted, **options))
    assert found["f1"] == pytest.approx(sk.f1_score(actual, predicted, **options))


def test_classification_labels_compare_as_text() -> None:
    found = classification_metrics(np.array(["yes", "no", "yes"]), np.array(["yes", "yes", "yes"]))
    assert found["accuracy"] == pytest.approx(2 / 3)


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    actual = rng.normal(size=300)
    predicted = actual + rng.normal(scale=0.3, size=300)
    found = regression_metrics(actual, predicted)
    assert found["mae"] == pytest.approx(sk.mean_absolute_error(actual, predicted))
    assert found["mse"] == pytest.approx(sk.mean_squared_error(actual, predicted))
    assert found["rmse"] == pytest.approx(np.sqrt(sk.mean_squared_error(actual, predicted)))
    assert regression_metrics(np.array([]), np.array([])) == {}


def test_operations_metrics_match_numpy() -> None:
    rng = np.random.default_rng(1)
    durations = rng.exponential(20.0, size=1000)
    codes = rng.choice([200, 200, 200, 429, 500, 503], size=1000)
    found = operations_metrics(durations, codes, window_minutes=10.0)
    for name, q in (("latency_p50_ms", 50), ("latency_p95_ms", 95), ("latency_p99_ms", 99)):
        assert found[name] == pytest.approx(np.percentile(durations, q))
    assert found["error_rate"] == pytest.approx(np.mean(codes >= 500))
    assert found["throttled_rate"] == pytest.approx(np.mean(codes == 429))
    assert found["requests_per_minute"] == pytest.approx(100.0)
    empty = operations_metrics(np.array([]), np.array([]), window_minutes=5.0)
    assert empty["latency_p95_ms"] is None and empty["error_rate"] == 0.0


def test_ndcg_matches_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    names = [f"f{i}" for i in range(8)]
    reference = dict(zip(names, rng.random(8), strict=True))
    production = dict(zip(names, rng.random(8), strict=True))
    expected = sk.ndcg_score([[reference[n] for n in names]], [[production[n] for n in names]])
    assert ndcg(reference, production) == pytest.approx(expected)
    assert ndcg(reference, reference) == pytest.approx(1.0)


def test_importances_follow_the_label() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=2000), "z": rng.normal(size=2000)})
    frame["kind"] = np.where(rng.random(2000) < 0.5, "a", "b")
    frame["y"] = 3 * frame["x"] + np.where(frame["kind"] == "a", 5.0, 0.0) + 0.1 * frame["z"]
    found = feature_importances(frame, ["x", "z", "kind"], "y")
    assert found["kind"] > found["z"] and found["x"] > found["z"]
    assert found["x"] == pytest.approx(abs(frame["x"].corr(frame["y"], method="spearman")))
