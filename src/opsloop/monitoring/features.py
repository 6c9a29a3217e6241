"""Which features a signal looks at: all, a list, or the top n by feature importance.

The shapes of Azure ML's ``features`` setting: ``"all"`` (also None), a list of names, or
``{"top_n_feature_importance": n}`` with the importances given (a mapping name -> score,
from the model's training run), highest first, ties broken by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opsloop.monitoring.reference import ReferenceSummary

FeatureSelection = str | Sequence[str] | Mapping[str, Any] | None


def select_features(
    reference: ReferenceSummary,
    features: FeatureSelection = "all",
    importances: Mapping[str, float] | None = None,
) -> list[str]:
    known = reference.features
    if features is None or features == "all":
        return list(known)
    if isinstance(features, str):
        raise ValueError(
            f"features: 'all', a list of names or top_n_feature_importance, not {features!r}"
        )
    if isinstance(features, Mapping):
        return _top_n(reference, features, importances)
    names = list(features)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"features not in the reference summary: {', '.join(unknown)}")
    return list(dict.fromkeys(names))


def _top_n(
    reference: ReferenceSummary,
    features: Mapping[str, Any],
    importances: Mapping[str, float] | None,
) -> list[str]:
    if set(features) != {"top_n_feature_importance"}:
        raise ValueError(
            f"features: unknown keys {sorted(set(features) - {'top_n_feature_importance'})}"
        )
    top_n = features["top_n_feature_importance"]
    if not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
        raise ValueError(
            f"features.top_n_feature_importance must be a positive integer, not {top_n!r}"
        )
    if not importances:
        raise ValueError("features.top_n_feature_importance needs the feature importances")
    ranked = sorted(
        (name for name in importances if name in reference.features),
        key=lambda name: (-float(importances[name]), name),
    )
    if not ranked:
        raise ValueError("none of the features with importances is in the reference summary")
    return ranked[:top_n]
