"""Whole numbers are widened to the float columns a signature declares, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow.types import ColSpec, Schema, TensorSpec

from opsloop.scoring.signature_types import SignatureWidening, schema_problem

SCHEMA = Schema(
    [
        ColSpec("double", "distance"),
        ColSpec("float", "tip"),
        ColSpec("long", "hour"),
        ColSpec("double", "flag"),
        ColSpec("string", "vendor"),
    ]
)


def test_integers_become_the_declared_floats() -> None:
    frame = pd.DataFrame(
        {
            "distance": [2, 3],
            "tip": [1, 2],
            "hour": [7, 8],
            "flag": [True, False],
            "vendor": ["a", "b"],
        }
    )
    widened = SignatureWidening(SCHEMA)(frame)
    assert widened["distance"].dtype == np.float64 and widened["distance"].tolist() == [2.0, 3.0]
    assert widened["tip"].dtype == np.float32
    assert widened["hour"].dtype == np.int64  # a long column stays an integer
    assert widened["flag"].dtype == bool  # booleans are MLflow's to refuse, not ours to cast
    assert frame["distance"].dtype == np.int64  # the caller's frame is left as it was


def test_float32_only_while_exact_and_nothing_without_names() -> None:
    big = pd.DataFrame({"distance": [1], "tip": [2**30 + 1]})
    assert SignatureWidening(SCHEMA)(big)["tip"].dtype == np.int64  # not rounded to 2**30
    tensors = Schema([TensorSpec(np.dtype("float64"), (-1, 3))])
    frame = pd.DataFrame({"a": [1]})
    assert SignatureWidening(tensors)(frame) is frame
    assert SignatureWidening(None)(frame) is frame


def test_schema_problem_keeps_the_reason_only() -> None:
    message = (
        "Failed to enforce schema of data '   distance\n0       3.2' with schema "
        "'['distance': double (required)]'. Error: Model is missing inputs ['hour']."
    )
    assert schema_problem(message) == "Model is missing inputs ['hour']."
    assert schema_problem("plain\n  words") == "plain words"
    assert len(schema_problem("x" * 2000)) == 500
