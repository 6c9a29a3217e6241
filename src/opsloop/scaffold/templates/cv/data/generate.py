"""Deterministic synthetic 8x8 grey images of three shapes (a horizontal bar, a vertical bar,
a diagonal) with noise, one image per row: pixels ``px_0`` .. ``px_63`` and the ``label``.

    python data/generate.py --rows 2000 --seed 0 --out data/images.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SIZE = 8
PIXELS = [f"px_{i}" for i in range(SIZE * SIZE)]
LABELS = ["horizontal", "vertical", "diagonal"]
COLUMNS = [*PIXELS, "label"]


def draw(label: str, offset: int) -> np.ndarray:
    """The clean image of ``label``, its bar at ``offset``."""
    image = np.zeros((SIZE, SIZE))
    if label == "horizontal":
        image[offset, :] = 1.0
    elif label == "vertical":
        image[:, offset] = 1.0
    else:
        image[np.arange(SIZE), (np.arange(SIZE) + offset) % SIZE] = 1.0
    return image


def generate_images(rows: int, seed: int, noise: float = 0.25) -> pd.DataFrame:
    """``rows`` noisy images; identical for identical (rows, seed, noise)."""
    if rows <= 0:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)
    labels = rng.choice(LABELS, size=rows)
    offsets = rng.integers(0, SIZE, size=rows)
    images = np.stack([draw(label, offset) for label, offset in zip(labels, offsets, strict=True)])
    images = np.clip(images + rng.normal(0.0, noise, images.shape), 0.0, 1.0).round(3)
    frame = pd.DataFrame(images.reshape(rows, -1), columns=PIXELS)
    frame["label"] = labels
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("images.csv"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    generate_images(args.rows, args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.rows} images to {args.out}")


if __name__ == "__main__":
    main()
