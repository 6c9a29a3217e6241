"""The split is 80/20, disjoint and the same on every run."""

from __future__ import annotations

import pandas as pd
import prep


def test_split_is_80_20_disjoint_and_deterministic() -> None:
    frame = pd.DataFrame({"row": range(100)})
    parts = prep.split(frame, seed=0)
    assert (len(parts["train"]), len(parts["test"])) == (80, 20)
    assert set(parts["train"]["row"]).isdisjoint(parts["test"]["row"])
    assert parts["test"].equals(prep.split(frame, seed=0)["test"])
