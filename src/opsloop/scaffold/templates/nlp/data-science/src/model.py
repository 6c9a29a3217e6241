"""The text classifier: TF-IDF of words and word pairs of the ``text`` column, then a
logistic regression."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

FEATURES = ["text"]
# What skops must load beyond its allow-list: nothing for this pipeline.
TRUSTED_TYPES: list[str] = []


def build_pipeline() -> Pipeline:
    # The column by name (a string, not a list): the vectorizer gets the texts themselves
    # from the DataFrame a served model receives.
    features = ColumnTransformer([("tfidf", TfidfVectorizer(ngram_range=(1, 2)), "text")])
    return Pipeline([("features", features), ("model", LogisticRegression(max_iter=500))])
