from __future__ import annotations

import numpy as np
import pytest

from opsloop.monitoring.moments import Moments


def test_chunked_moments_equal_numpy_even_far_from_zero() -> None:
    values = 1e9 + np.random.default_rng(0).normal(0, 1, 10_000)
    moments = Moments()
    for chunk in np.array_split(values, 7):
        moments.add(chunk)
    moments.add(np.empty(0))
    assert moments.count == values.size
    assert moments.mean == pytest.approx(values.mean(), rel=1e-15)
    # The sum-of-squares formula would lose every digit here (x^2 ~ 1e18, spacing 128).
    assert moments.std == pytest.approx(values.std(), rel=1e-7)
    assert (moments.min, moments.max) == (values.min(), values.max())
