"""The pipeline's steps on a small generated data set: split, train, evaluate, decide."""

from __future__ import annotations

from pathlib import Path

import evaluate
import prep
import train
from generate import generate_taxi_data


def test_split_is_70_15_15_and_disjoint() -> None:
    frame = generate_taxi_data(rows=200, seed=1).reset_index(names="row")
    parts = prep.split(frame, seed=0)
    assert [len(parts[name]) for name in ("train", "val", "test")] == [140, 30, 30]
    rows = [set(part["row"]) for part in parts.values()]
    assert set().union(*rows) == set(range(200))
    assert sum(len(r) for r in rows) == 200


def test_trained_model_saves_and_scores(tmp_path: Path) -> None:
    frame = generate_taxi_data(rows=400, seed=2)
    parts = prep.split(frame)
    pipe = train.build_pipeline(n_estimators=5, max_depth=None, random_state=0)
    features = train.NUMERIC + train.CATEGORICAL
    pipe.fit(parts["train"][features], parts["train"][train.TARGET])
    train.save_mlflow_model(pipe, parts["train"][features].head(5), tmp_path / "model")
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    parts["test"].to_csv(test_dir / "test.csv", index=False)
    result = evaluate.evaluate("model", tmp_path / "model", test_dir, tmp_path / "eval",
                               load_champion=lambda name: None)  # fmt: skip
    assert result["deploy"] is True
    assert result["candidate"]["r2"] > 0.5
    assert (tmp_path / "eval" / "deploy_flag").read_text() == "1"


def test_a_candidate_registers_only_when_it_beats_the_champion() -> None:
    assert evaluate.decide({"rmse": 1.0}, None)
    assert evaluate.decide({"rmse": 1.0}, {"rmse": 2.0})
    assert not evaluate.decide({"rmse": 2.0}, {"rmse": 2.0})
