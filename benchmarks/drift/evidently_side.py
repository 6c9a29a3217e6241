"""Evidently's side of the drift benchmark: its data drift report on the same Parquet files.

Runs in Evidently's own virtualenv (run.py makes it). Evidently needs both tables in memory
as pandas DataFrames; the time is reported with and without reading them.

    python evidently_side.py REFERENCE.parquet PRODUCTION.parquet
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import report


def main(reference_path: str, production_path: str) -> None:
    start = time.perf_counter()
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(reference_path)
    production = pd.read_parquet(production_path)
    loaded = time.perf_counter()
    definition = DataDefinition(
        numerical_columns=[c for c in reference.columns if c.startswith("num_")],
        categorical_columns=[c for c in reference.columns if c.startswith("cat_")],
    )
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(production, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    done = time.perf_counter()
    rows = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type") != "evidently:metric_v2:ValueDrift":
            continue
        value = float(metric["value"])
        rows.append(
            {
                "feature": config["column"],
                "method": config["method"],
                "threshold": config["threshold"],
                "value": value,
                # Evidently's distances breach at value >= threshold.
                "breached": value >= config["threshold"],
            }
        )
    report({"seconds": done - start, "report_seconds": done - loaded, "results": rows})


if __name__ == "__main__":
    main(*sys.argv[1:])
