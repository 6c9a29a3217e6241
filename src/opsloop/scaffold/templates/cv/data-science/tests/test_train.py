"""The generator, the data checks and the classifier on a few generated images."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import prep
import train
from check import check
from generate import PIXELS, generate_images


def test_generated_images_are_deterministic_and_pass_the_checks() -> None:
    frame = generate_images(rows=300, seed=0)
    assert frame.equals(generate_images(rows=300, seed=0))
    assert check(frame) == []
    frame.loc[0, "px_3"] = 2.0
    assert check(frame) == ["pixel values outside [0, 1]"]


def test_classifier_learns_the_shapes_and_serves_as_mlflow_model(tmp_path: Path) -> None:
    parts = prep.split(generate_images(rows=600, seed=1))
    pipe = train.fit(parts["train"])
    assert train.accuracy(pipe, parts["test"]) > 0.9
    images = parts["test"][PIXELS].head(5)
    train.save_mlflow_model(pipe, images, tmp_path / "model")
    served = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    assert list(served.predict(images)) == list(pipe.predict(images))
