"""read_window: production counts on the reference's bins, and what falls outside them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opsloop.monitoring.reference import summarize_reference
from opsloop.monitoring.window import CategoricalWindow, NumericalWindow, read_window


def test_counts_outside_values_and_categories() -> None:
    reference = summarize_reference(
        pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]}), bins=4
    )
    production = pd.DataFrame(
        {"x": [-2.0, 0.5, 3.0, 5.0, np.inf, None], "c": ["a", "z", None, "a", "b", "b"]}
    )
    window = read_window(reference, production, batch_rows=2)
    x, c = window.features["x"], window.features["c"]
    assert isinstance(x, NumericalWindow) and isinstance(c, CategoricalWindow)
    assert window.row_count == 6
    assert x.counts.tolist() == [1, 0, 0, 1]  # 0.5 in [0, 1); 3.0 == max
    assert x.sums.tolist() == [0.5, 0.0, 0.0, 3.0]
    assert (x.below, x.below_distance, x.above, x.above_distance) == (1, 2.0, 1, 2.0)
    assert (x.nonfinite, x.missing, x.count) == (1, 1, 4)
    assert dict(c.counts) == {"a": 2, "z": 1, "b": 2}
    assert (c.missing, c.count) == (1, 5)


def test_only_the_asked_features_are_read() -> None:
    reference = summarize_reference(pd.DataFrame({"x": [0.0, 1.0], "y": [1.0, 2.0]}))
    window = read_window(reference, pd.DataFrame({"x": [0.5]}), ["x"])
    assert list(window.features) == ["x"]
    with pytest.raises(KeyError, match="'q' is not in the reference summary"):
        read_window(reference, pd.DataFrame({"x": [0.5]}), ["q"])
