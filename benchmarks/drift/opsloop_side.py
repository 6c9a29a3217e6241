"""opsloop's side of the drift benchmark, one measured process per step.

    python opsloop_side.py summarize REFERENCE.parquet SUMMARY.json
    python opsloop_side.py drift SUMMARY.json PRODUCTION.parquet [all]

``summarize`` is done once per reference (kept with the data asset); ``drift`` is what
every monitor run costs: production read once in chunks and compared with the summary.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import report

ALL_METRICS = {
    "numerical": dict.fromkeys(
        [
            "normalized_wasserstein_distance",
            "jensen_shannon_distance",
            "population_stability_index",
            "two_sample_kolmogorov_smirnov_test",
        ]
    ),
    "categorical": dict.fromkeys(
        ["jensen_shannon_distance", "population_stability_index", "pearsons_chi_squared_test"]
    ),
}


def summarize(reference: str, output: str) -> None:
    start = time.perf_counter()
    from opsloop.monitoring.reference import summarize_reference

    summary = summarize_reference(reference)
    Path(output).write_text(summary.model_dump_json())
    report({"seconds": time.perf_counter() - start, "features": len(summary.features)})


def drift(summary_path: str, production: str, metrics: str = "default") -> None:
    start = time.perf_counter()
    from opsloop.monitoring.drift import compute_data_drift
    from opsloop.monitoring.reference import ReferenceSummary

    summary = ReferenceSummary.model_validate_json(Path(summary_path).read_text())
    thresholds = ALL_METRICS if metrics == "all" else None
    result = compute_data_drift(summary, production, metric_thresholds=thresholds)
    rows = [
        {"feature": r.feature, "metric": r.metric, "value": r.value, "breached": r.breached}
        for r in result.results
    ]
    report(
        {"seconds": time.perf_counter() - start, "rows": result.production_rows, "results": rows}
    )


if __name__ == "__main__":
    {"summarize": summarize, "drift": drift}[sys.argv[1]](*sys.argv[2:])
