"""The staging test's requests are what a JSON client would send."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from opsloop.gates.staging_test import sample_requests


def test_missing_values_travel_as_null_in_requests_of_the_asked_size() -> None:
    frame = pd.DataFrame(
        {"distance": [1.5, np.nan, 3.0], "payment_type": ["card", np.nan, "cash"], "n": [1, 2, 3]}
    )
    requests = sample_requests(frame, rows_per_request=2)
    assert [len(r.values) for r in requests] == [2, 1]
    assert requests[0].columns == ["distance", "payment_type", "n"]
    missing = requests[0].values[1]
    assert missing[0] is None and missing[1] is None  # not float NaN, which JSON cannot carry
    assert requests[0].values[0] == [1.5, "card", 1]
    assert not any(isinstance(v, float) and math.isnan(v) for r in requests for row in r.values
                   for v in row)  # fmt: skip
