"""The image classifier: a support vector machine with an RBF kernel, which sees a shape
wherever it lies in the image, on the 64 pixels of the flattened 8x8 images."""

from __future__ import annotations

from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

FEATURES = [f"px_{i}" for i in range(64)]
# What skops must load beyond its allow-list: nothing for this pipeline (a forest would
# add "sklearn.tree._tree.Tree").
TRUSTED_TYPES: list[str] = []


def build_pipeline() -> Pipeline:
    return make_pipeline(SVC())
