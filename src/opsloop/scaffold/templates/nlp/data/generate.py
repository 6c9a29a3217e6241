"""Deterministic synthetic product reviews, each ``positive`` or ``negative``: a few words of
the label's vocabulary among neutral filler, with some words of the other label as noise.
Columns: ``text`` and ``label``.

    python data/generate.py --rows 2000 --seed 0 --out data/reviews.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

LABELS = ["positive", "negative"]
COLUMNS = ["text", "label"]
VOCABULARY = {
    "positive": ["great", "excellent", "love", "perfect", "reliable", "fast", "happy",
                 "recommend", "sturdy", "wonderful"],
    "negative": ["broken", "terrible", "hate", "slow", "refund", "awful", "cheap",
                 "disappointed", "leaks", "useless"],
}  # fmt: skip
FILLER = ["the", "product", "arrived", "it", "is", "and", "was", "this", "my", "order", "box",
          "with", "after", "a", "week", "really", "quite", "very"]  # fmt: skip


def review(rng: np.random.Generator, label: str) -> str:
    other = LABELS[1 - LABELS.index(label)]
    words = list(rng.choice(FILLER, size=int(rng.integers(4, 10))))
    words += list(rng.choice(VOCABULARY[label], size=int(rng.integers(2, 4))))
    if rng.random() < 0.3:  # a contrary word now and then: the task is not trivial
        words.append(str(rng.choice(VOCABULARY[other])))
    rng.shuffle(words)
    return " ".join(str(word) for word in words)


def generate_reviews(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` reviews; identical for identical (rows, seed)."""
    if rows <= 0:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)
    labels = [str(label) for label in rng.choice(LABELS, size=rows)]
    return pd.DataFrame({"text": [review(rng, label) for label in labels], "label": labels})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("reviews.csv"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    generate_reviews(args.rows, args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.rows} reviews to {args.out}")


if __name__ == "__main__":
    main()
