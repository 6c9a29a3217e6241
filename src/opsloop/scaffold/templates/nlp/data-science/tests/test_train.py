"""The generator, the data checks and the text classifier on a few generated reviews."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import prep
import train
from check import check
from generate import generate_reviews


def test_generated_reviews_are_deterministic_and_pass_the_checks() -> None:
    frame = generate_reviews(rows=300, seed=0)
    assert frame.equals(generate_reviews(rows=300, seed=0))
    assert check(frame) == []
    frame.loc[0, "text"] = " "
    assert check(frame) == ["column 'text': 1 empty texts"]


def test_classifier_learns_the_labels_and_serves_as_mlflow_model(tmp_path: Path) -> None:
    parts = prep.split(generate_reviews(rows=600, seed=1))
    pipe = train.fit(parts["train"])
    assert train.accuracy(pipe, parts["test"]) > 0.85
    texts = parts["test"][["text"]].head(5)
    train.save_mlflow_model(pipe, texts, tmp_path / "model")
    served = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    assert list(served.predict(texts)) == list(pipe.predict(texts))
