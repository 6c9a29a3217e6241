from __future__ import annotations

import pandas as pd
import pytest

from opsloop.monitoring.features import select_features
from opsloop.monitoring.reference import summarize_reference

SUMMARY = summarize_reference(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [3, 4]}))


def test_all_a_list_and_top_n_by_importance() -> None:
    assert select_features(SUMMARY) == ["a", "b", "c"]
    assert select_features(SUMMARY, None) == ["a", "b", "c"]
    assert select_features(SUMMARY, ["c", "a", "c"]) == ["c", "a"]
    importances = {"a": 0.1, "b": 0.5, "c": 0.5, "gone": 9.0}
    top = {"top_n_feature_importance": 2}
    assert select_features(SUMMARY, top, importances) == ["b", "c"]


@pytest.mark.parametrize(
    ("features", "importances", "message"),
    [
        (["a", "zz"], None, "not in the reference summary: zz"),
        ("some", None, "'all', a list of names"),
        ({"top_n_feature_importance": 0}, {"a": 1.0}, "positive integer"),
        ({"top_n_feature_importance": 2}, None, "needs the feature importances"),
        ({"top_n": 2}, {"a": 1.0}, "unknown keys"),
        ({"top_n_feature_importance": 2}, {"zz": 1.0}, "none of the features"),
    ],
)
def test_bad_selections_say_what_is_wrong(
    features: object, importances: dict[str, float] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        select_features(SUMMARY, features, importances)  # type: ignore[arg-type]
