"""Requests in one turn of the event loop share a model call and get their own answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from opsloop.scoring.predictors import MlflowModelInfo, NumpyPredictor
from opsloop.serving.online.batching import InlineBatcher


class CountingPredictor(NumpyPredictor):
    """The real scikit-learn model of the fixture (y = a + 2b + 3c), with its calls counted."""

    def __init__(self, model_dir: Path) -> None:
        super().__init__(model_dir, MlflowModelInfo.read(model_dir))
        self.calls: list[int] = []

    def predict_matrix(self, matrix: np.ndarray) -> Any:
        self.calls.append(len(matrix))
        return super().predict_matrix(matrix)


@pytest.fixture
def predictor(model_dirs: dict[str, Path]) -> CountingPredictor:
    return CountingPredictor(model_dirs["v1"])


def _batcher(predictor: CountingPredictor, timeout_s: float = 5.0) -> tuple[InlineBatcher, dict]:
    seen: dict[str, Any] = {"durations": [], "released": 0}

    def release() -> None:
        seen["released"] += 1

    batcher = InlineBatcher(
        predictor, timeout_s=timeout_s, done=seen["durations"].append, release=release
    )
    return batcher, seen


async def _submit_together(batcher: InlineBatcher, matrices: list[list[list[float]]]) -> list:
    futures = [batcher.submit(np.asarray(m, dtype=np.float64)) for m in matrices]
    return await asyncio.gather(*futures, return_exceptions=True)


def test_one_call_for_the_turn_and_each_request_gets_its_rows(
    predictor: CountingPredictor,
) -> None:
    batcher, seen = _batcher(predictor)
    answers = asyncio.run(
        _submit_together(batcher, [[[1, 1, 1]], [[1, 0, 0], [0, 1, 0]], [[0, 0, 2]]])
    )
    assert predictor.calls == [4]  # four rows of three requests, one model call
    assert [list(np.round(result, 6)) for result in answers] == [[6.0], [1.0, 2.0], [6.0]]
    assert seen["released"] == 3 and len(seen["durations"]) == 1


def test_a_lone_request_is_scored_alone(predictor: CountingPredictor) -> None:
    batcher, seen = _batcher(predictor)

    async def one_after_another() -> list:
        first = await batcher.submit(np.asarray([[1.0, 1.0, 1.0]]))
        second = await batcher.submit(np.asarray([[2.0, 0.0, 0.0]]))
        return [first[0], second[0]]

    assert asyncio.run(one_after_another()) == pytest.approx([6.0, 2.0])
    assert predictor.calls == [1, 1] and seen["released"] == 2


def test_a_failing_batch_is_retried_alone_so_the_error_is_the_culprits(
    predictor: CountingPredictor,
) -> None:
    batcher, seen = _batcher(predictor)
    good, bad = [[1.0, 1.0, 1.0]], [[float("nan"), 0.0, 0.0]]
    answers = asyncio.run(_submit_together(batcher, [good, bad, good]))
    assert predictor.calls == [3, 1, 1, 1]  # scikit-learn refuses NaN: then one by one
    assert isinstance(answers[1], ValueError)
    assert answers[0] == pytest.approx([6.0]) and answers[2] == pytest.approx([6.0])
    assert seen["released"] == 3


def test_past_the_timeout_every_request_of_the_call_times_out(
    predictor: CountingPredictor,
) -> None:
    batcher, seen = _batcher(predictor, timeout_s=0.0)
    answers = asyncio.run(_submit_together(batcher, [[[1.0, 1.0, 1.0]], [[2.0, 2.0, 2.0]]]))
    assert all(isinstance(answer, TimeoutError) for answer in answers)
    assert seen["released"] == 2
