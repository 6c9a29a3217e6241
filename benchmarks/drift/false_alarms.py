"""How often each drift metric alarms with no drift, and how often it sees a known shift.

    .venv/bin/python benchmarks/drift/false_alarms.py [--repeats 200] [--seed 0]

A reference of 200,000 rows is summarised once. Production windows of 1k, 10k and 100k
rows are then drawn ``--repeats`` times from the *same* distribution (every alarm is a
false alarm) and from a *shifted* one (every alarm is a detection), and each metric is
judged with its default threshold:

- numerical: standard normal; the shift moves the mean by 0.15 std (normalized
  Wasserstein ~0.15, just past its 0.1 default);
- categorical: five categories with shares 40/25/15/12/8%; the shift moves them to
  32/25/18/15/10%.

A second table shows why p-value tests are corrected: 20 same-distribution numerical
features tested in one run, counting runs with at least one alarm, with each correction.
Prints Markdown tables (docs/monitoring.md keeps the latest).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd

from opsloop.monitoring.corrections import Correction
from opsloop.monitoring.drift import compute_data_drift
from opsloop.monitoring.metric_catalogue import METRICS
from opsloop.monitoring.reference import ReferenceSummary, summarize_reference
from opsloop.monitoring.window import read_window

REFERENCE_ROWS = 200_000
SIZES = (1_000, 10_000, 100_000)
CATEGORIES = np.array(["a", "b", "c", "d", "e"])
SHARES = np.array([0.40, 0.25, 0.15, 0.12, 0.08])
SHIFTED_SHARES = np.array([0.32, 0.25, 0.18, 0.15, 0.10])
MEAN_SHIFT = 0.15
ALL_METRICS: dict[str, dict[str, float | None]] = {
    kind: {name: None for (k, name) in METRICS if k == kind}
    for kind in ("numerical", "categorical")
}

Draw = Callable[[np.random.Generator, int, bool], pd.DataFrame]


def draw(rng: np.random.Generator, rows: int, shifted: bool) -> pd.DataFrame:
    shares = SHIFTED_SHARES if shifted else SHARES
    return pd.DataFrame(
        {
            "x": rng.normal(MEAN_SHIFT if shifted else 0.0, 1.0, rows),
            "c": CATEGORIES[rng.choice(len(CATEGORIES), rows, p=shares)],
        }
    )


def alarm_rates(
    summary: ReferenceSummary, rng: np.random.Generator, rows: int, shifted: bool, repeats: int
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Share of windows that alarmed, and the mean value, per (feature type, metric)."""
    alarms: dict[tuple[str, str], int] = {}
    values: dict[tuple[str, str], float] = {}
    for _ in range(repeats):
        result = compute_data_drift(
            summary, draw(rng, rows, shifted), metric_thresholds=ALL_METRICS
        )
        for row in result.results:
            key = (row.feature_type, row.metric)
            alarms[key] = alarms.get(key, 0) + row.breached
            values[key] = values.get(key, 0.0) + (row.value or 0.0) / repeats
    return {key: count / repeats for key, count in alarms.items()}, values


def single_feature_table(rng: np.random.Generator, repeats: int) -> str:
    summary = summarize_reference(draw(rng, REFERENCE_ROWS, False))
    false_alarms = {n: alarm_rates(summary, rng, n, False, repeats)[0] for n in SIZES}
    shifted = {n: alarm_rates(summary, rng, n, True, repeats) for n in SIZES}
    detections = {n: rates for n, (rates, _) in shifted.items()}
    shifted_values = shifted[SIZES[-1]][1]
    sizes = " / ".join(f"{n // 1000}k" for n in SIZES)
    lines = [
        f"| feature type | metric (default threshold) | false alarms {sizes} | detections {sizes} | mean value, shifted, {SIZES[-1] // 1000}k |",
        "|---|---|---|---|---:|",
    ]
    for (kind, name), metric in METRICS.items():
        key = (kind, name)
        rule = (
            f"p < {metric.default_threshold}"
            if metric.kind == "test"
            else f"> {metric.default_threshold}"
        )
        fa = " / ".join(f"{false_alarms[n][key]:.1%}" for n in SIZES)
        dr = " / ".join(f"{detections[n][key]:.1%}" for n in SIZES)
        value = shifted_values[key]
        shown = f"p = {value:.2g}" if metric.kind == "test" else f"{value:.3f}"
        lines.append(f"| {kind} | {name} ({rule}) | {fa} | {dr} | {shown} |")
    return "\n".join(lines)


def multiple_testing_table(
    rng: np.random.Generator, repeats: int, features: int = 20, rows: int = 1_000
) -> str:
    reference = pd.DataFrame(
        {f"x{i}": rng.normal(0, 1, REFERENCE_ROWS // 4) for i in range(features)}
    )
    summary = summarize_reference(reference)
    thresholds = {"numerical": {"two_sample_kolmogorov_smirnov_test": None}}
    runs_with_alarm: dict[Correction, int] = {"none": 0, "bonferroni": 0, "holm": 0}
    for _ in range(repeats):
        production = pd.DataFrame({f"x{i}": rng.normal(0, 1, rows) for i in range(features)})
        window = read_window(summary, production)  # read once, judged three ways
        for correction in runs_with_alarm:
            result = compute_data_drift(
                summary, window, metric_thresholds=thresholds, correction=correction
            )
            runs_with_alarm[correction] += bool(result.breached_features)
    lines = [
        f"| correction | runs with a false alarm ({features} features, {rows:,} rows, KS at 0.05) |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count / repeats:.1%} |" for name, count in runs_with_alarm.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"Reference {REFERENCE_ROWS:,} rows; {args.repeats} windows per size; seed {args.seed}.\n"
    )
    print(single_feature_table(rng, args.repeats))
    print()
    print(multiple_testing_table(rng, args.repeats))


if __name__ == "__main__":
    main()
