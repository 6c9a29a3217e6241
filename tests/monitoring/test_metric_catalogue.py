from __future__ import annotations

import pytest

from opsloop.monitoring.metric_catalogue import DEFAULT_METRICS, METRICS, metric


def test_names_kinds_and_defaults() -> None:
    assert {name for kind, name in METRICS if kind == "numerical"} == {
        "jensen_shannon_distance",
        "normalized_wasserstein_distance",
        "population_stability_index",
        "two_sample_kolmogorov_smirnov_test",
    }
    assert metric("categorical", "chi_squared_test").name == "pearsons_chi_squared_test"
    assert DEFAULT_METRICS == {
        "numerical": "normalized_wasserstein_distance",
        "categorical": "jensen_shannon_distance",
    }
    assert metric("numerical", "normalized_wasserstein_distance").default_threshold == 0.1
    assert metric("categorical", "jensen_shannon_distance").default_threshold == 0.1
    assert metric("numerical", "two_sample_kolmogorov_smirnov_test").kind == "test"


def test_an_unknown_metric_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="choose from jensen_shannon_distance, pearsons_chi"):
        metric("categorical", "normalized_wasserstein_distance")
