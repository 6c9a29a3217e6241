"""Deterministic synthetic NYC-style taxi trips for the taxi-fare regression example.

    python generate.py --rows 5000 --seed 0 --out taxi-data.csv [--drift]

``--drift`` produces a clearly shifted population (longer trips, more night rides, vendor C
dominant, more mobile payments) for exercising drift monitoring against the baseline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC_COLUMNS = [
    "distance",
    "passengers",
    "pickup_hour",
    "pickup_weekday",
    "pickup_lat",
    "pickup_lon",
    "dropoff_lat",
    "dropoff_lon",
    "trip_minutes",
]
CATEGORICAL_COLUMNS = ["vendor", "store_forward", "payment_type"]
TARGET_COLUMN = "cost"
COLUMNS = [*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS, TARGET_COLUMN]

# Relative demand per pickup hour: quiet at night, commuter peaks at 8h and 17-18h.
_BASE_HOURS = np.array(
    [2, 1, 1, 1, 1, 2, 4, 7, 9, 7, 5, 5, 6, 5, 5, 6, 8, 9, 8, 7, 6, 5, 4, 3], dtype=float
)
# Drifted demand: nightlife-heavy.
_DRIFT_HOURS = np.array(
    [8, 7, 6, 4, 2, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9, 9, 9], dtype=float
)
_MISSING_RATE = 0.01
_MILES_PER_DEGREE = 69.0


def generate_taxi_data(rows: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """Return ``rows`` synthetic trips; identical for identical (rows, seed, drift)."""
    if rows <= 0:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)

    hours_p = _DRIFT_HOURS if drift else _BASE_HOURS
    pickup_hour = rng.choice(24, size=rows, p=hours_p / hours_p.sum())
    pickup_weekday = rng.integers(0, 7, size=rows)
    passengers = rng.choice(np.arange(1, 7), size=rows, p=[0.62, 0.18, 0.07, 0.05, 0.05, 0.03])
    vendor = rng.choice(
        ["A", "B", "C"], size=rows, p=[0.2, 0.3, 0.5] if drift else [0.5, 0.35, 0.15]
    )
    store_forward = rng.choice(["N", "Y"], size=rows, p=[0.97, 0.03])
    payment_type = rng.choice(
        ["card", "cash", "mobile"], size=rows, p=[0.3, 0.2, 0.5] if drift else [0.6, 0.3, 0.1]
    )

    distance = np.clip(rng.lognormal(np.log(5.0 if drift else 2.2), 0.6, size=rows), 0.1, 40.0)
    pickup_lat = rng.normal(40.75, 0.03, size=rows)
    pickup_lon = rng.normal(-73.98, 0.03, size=rows)
    # Straight-line displacement is shorter than the road distance actually driven.
    angle = rng.uniform(0.0, 2 * np.pi, size=rows)
    crow = distance * rng.uniform(0.6, 0.95, size=rows) / _MILES_PER_DEGREE
    dropoff_lat = pickup_lat + crow * np.sin(angle)
    dropoff_lon = pickup_lon + crow * np.cos(angle) / np.cos(np.radians(pickup_lat))

    rush = np.isin(pickup_hour, [7, 8, 9, 16, 17, 18, 19]) & (pickup_weekday < 5)
    night = (pickup_hour < 6) | (pickup_hour >= 20)
    speed_mph = np.where(rush, 11.0, np.where(night, 24.0, 16.0)) * rng.uniform(0.7, 1.3, rows)
    trip_minutes = distance / speed_mph * 60.0 + rng.uniform(1.0, 4.0, size=rows)

    cost = (
        3.0
        + 1.75 * distance
        + 0.35 * trip_minutes
        + np.where(night, 1.0, 0.0)
        + np.where(rush, 2.5, 0.0)
        + np.select([vendor == "B", vendor == "C"], [0.5, 2.0], 0.0)
        + np.where(passengers >= 5, 3.0, 0.0)
        + np.where(payment_type == "cash", -0.5, 0.0)
        + rng.normal(0.0, 1.5, size=rows)
    )

    df = pd.DataFrame(
        {
            "distance": distance.round(2),
            "passengers": passengers,
            "pickup_hour": pickup_hour,
            "pickup_weekday": pickup_weekday,
            "pickup_lat": pickup_lat.round(5),
            "pickup_lon": pickup_lon.round(5),
            "dropoff_lat": dropoff_lat.round(5),
            "dropoff_lon": dropoff_lon.round(5),
            "trip_minutes": trip_minutes.round(1),
            "vendor": vendor,
            "store_forward": store_forward,
            "payment_type": payment_type,
            "cost": np.maximum(cost, 2.5).round(2),
        },
        columns=COLUMNS,
    )
    # Missing values are injected after computing cost, like sensor/reporting gaps in real data.
    for column in ("trip_minutes", "payment_type"):
        df.loc[rng.random(rows) < _MISSING_RATE, column] = np.nan
    return df


def write_taxi_data(path: str | Path, rows: int, seed: int, drift: bool = False) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    generate_taxi_data(rows, seed, drift).to_csv(out, index=False)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("taxi-data.csv"))
    parser.add_argument("--drift", action="store_true", help="generate a shifted population")
    args = parser.parse_args(argv)
    out = write_taxi_data(args.out, args.rows, args.seed, args.drift)
    print(f"wrote {args.rows} rows to {out}")


if __name__ == "__main__":
    main()
