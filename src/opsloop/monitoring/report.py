"""Plots and the HTML report of a monitor run.

Per feature of a distribution signal, a histogram of the reference against the production
window (numerical: the reference's fine quantile bins merged into ``PLOT_BINS`` equal-width
bins over the reference's range, production values outside it in the end bins;
categorical: the ``TOP_CATEGORIES`` most frequent reference categories and "other"), as
shares of each side's values. Per signal and metric, its value over the monitor's runs.
PNG files (matplotlib, Agg backend: no display needed), and one self-contained HTML file
with the PNGs inlined as base64 and the results table.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from opsloop.monitoring.reference import NumericalSummary
from opsloop.monitoring.window import NumericalWindow

PLOT_BINS = 30
TOP_CATEGORIES = 15
MAX_SERIES_FEATURES = 8


@dataclass
class Histogram:
    feature: str
    labels: list[str]  # one per bar
    reference: list[float]  # shares
    production: list[float]
    edges: list[float] | None = None  # numerical: PLOT_BINS + 1 edges


@dataclass
class Series:
    """One metric of one signal over runs: per feature, (run end, value) points."""

    signal: str
    metric: str
    threshold: float | None
    points: dict[str, list[tuple[datetime, float]]]


def histogram_of(name: str, summary: Any, window: Any) -> Histogram:
    if isinstance(summary, NumericalSummary):
        assert isinstance(window, NumericalWindow)
        edges = np.linspace(summary.min, summary.max, PLOT_BINS + 1)
        if summary.max == summary.min:
            edges = np.linspace(summary.min - 0.5, summary.max + 0.5, PLOT_BINS + 1)
        fine = np.asarray(summary.bin_means)
        slots = np.clip(np.searchsorted(edges, fine, side="right") - 1, 0, PLOT_BINS - 1)
        ref = np.bincount(slots, weights=np.asarray(summary.bin_counts), minlength=PLOT_BINS)
        prod = np.bincount(slots, weights=window.counts.astype("float64"), minlength=PLOT_BINS)
        prod[0] += window.below
        prod[-1] += window.above
        labels = [f"{edges[i]:.3g}" for i in range(PLOT_BINS)]
        return Histogram(name, labels, _shares(ref), _shares(prod), edges.tolist())
    top = list(summary.categories)[:TOP_CATEGORIES]
    ref_counts = [summary.categories[c] for c in top]
    prod_counts = [window.counts.get(c, 0) for c in top]
    ref_counts.append(summary.count - sum(ref_counts))
    prod_counts.append(window.count - sum(prod_counts))
    return Histogram(name, [*top, "other"], _shares(ref_counts), _shares(prod_counts))


def _shares(counts: Any) -> list[float]:
    values = np.asarray(counts, dtype="float64")
    total = values.sum()
    return (values / total if total else values).tolist()


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_histogram(histogram: Histogram, path: Path, title: str) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    if histogram.edges is not None:
        edges = np.asarray(histogram.edges)
        widths = np.diff(edges)
        axes.bar(
            edges[:-1],
            histogram.reference,
            width=widths,
            align="edge",
            alpha=0.5,
            label="reference",
        )
        axes.bar(
            edges[:-1],
            histogram.production,
            width=widths,
            align="edge",
            alpha=0.5,
            label="production",
        )
    else:
        positions = np.arange(len(histogram.labels))
        axes.bar(positions - 0.2, histogram.reference, width=0.4, label="reference")
        axes.bar(positions + 0.2, histogram.production, width=0.4, label="production")
        axes.set_xticks(positions, histogram.labels, rotation=45, ha="right", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.set_ylabel("share of values")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=80)
    plt.close(figure)
    return path


def plot_series(series: Series, path: Path) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    for feature, points in list(series.points.items())[:MAX_SERIES_FEATURES]:
        times, values = zip(*sorted(points), strict=True)
        axes.plot(times, values, marker="o", label=feature or series.metric)
    if series.threshold is not None:
        axes.axhline(series.threshold, color="red", linestyle="--", linewidth=1, label="threshold")
    axes.set_title(f"{series.signal}: {series.metric} over runs", fontsize=9)
    axes.legend(fontsize=7)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=80)
    plt.close(figure)
    return path


def write_html(path: Path, title: str, summary: Sequence[tuple[str, str]],
               rows: Sequence[dict[str, Any]], images: Sequence[tuple[str, Path]]) -> Path:  # fmt: skip
    """One file: a summary, the results table (breaches marked) and the PNGs inlined."""
    esc = html.escape
    head = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary)
    columns = ["signal", "feature", "metric", "value", "threshold", "p_value", "verdict"]
    body = "".join(
        f'<tr class="{"breach" if row["breached"] else "ok"}">'
        + "".join(f"<td>{esc(_text(row.get(c)))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    figures = "".join(
        f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,'
        f'{base64.b64encode(image.read_bytes()).decode()}"><figcaption>{esc(caption)}'
        "</figcaption></figure>"
        for caption, image in images
    )
    path.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{esc(title)}</h1><table class="summary">{head}</table>'
        f"<h2>Results</h2><table><thead><tr>{''.join(f'<th>{c}</th>' for c in columns)}"
        f"</tr></thead><tbody>{body}</tbody></table><h2>Plots</h2>{figures}</body></html>\n",
        encoding="utf-8",
    )
    return path


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
    "td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}tr.breach{background:#fdd}"
    "figure{display:inline-block;margin:4px}figcaption{font-size:12px}"
)
