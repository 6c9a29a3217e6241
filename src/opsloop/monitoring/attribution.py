"""Feature attribution drift: how far production's feature importances moved from the
reference's, as normalized discounted cumulative gain (NDCG).

Importances are computed without the model, the same way on both sides: the absolute
Spearman rank correlation between each feature and the label (the reference's target
column; production's prediction). A categorical feature is first replaced by its codes in
order of the label's mean per category, so the correlation measures how well the category
orders the label. This is a model-agnostic stand-in for a surrogate model's importances:
it sees monotone effects, not interactions.

NDCG ranks the features by production importance and scores that ranking with the
reference importances as gains::

    DCG  = sum_i  ref_importance(feature ranked i-th in production) / log2(i + 1)
    NDCG = DCG / ideal DCG  (the reference's own ranking)

1 means production ranks the features as the reference did. A breach is NDCG *below*
its threshold (default 0.9, Azure ML's).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

DEFAULT_NDCG_THRESHOLD = 0.9


def feature_importances(frame: pd.DataFrame, features: list[str], label: str) -> dict[str, float]:
    target = pd.to_numeric(frame[label], errors="coerce")
    if target.isna().all():  # a categorical label: its codes, in order of appearance
        target = pd.Series(pd.factorize(frame[label])[0], index=frame.index, dtype="float64")
    found: dict[str, float] = {}
    for name in features:
        column = frame[name]
        values = pd.to_numeric(column, errors="coerce")
        if values.isna().mean() > 0.5:  # categorical: order categories by the label's mean
            means = target.groupby(column.astype(str)).mean()
            values = column.astype(str).map(means.rank(method="dense"))
        correlation = values.corr(target, method="spearman")
        found[name] = 0.0 if pd.isna(correlation) else abs(float(correlation))
    return found


def ndcg(reference: Mapping[str, float], production: Mapping[str, float]) -> float:
    names = [n for n in reference if n in production]
    if not names:
        return 1.0
    gains = {n: float(reference[n]) for n in names}
    ranked = sorted(names, key=lambda n: (-production[n], n))
    ideal = sorted(names, key=lambda n: (-gains[n], n))
    discounts = 1.0 / np.log2(np.arange(2, len(names) + 2))
    dcg = float(np.sum([gains[n] for n in ranked] * discounts))
    best = float(np.sum([gains[n] for n in ideal] * discounts))
    return dcg / best if best > 0 else 1.0
