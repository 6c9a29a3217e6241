"""The peer: load the model in this process and predict every file's rows, one file at a time.

What a user would write without a batch service: ``mlflow.pyfunc.load_model`` once, then for
each input file ``pd.read_csv`` and ``model.predict``; the predictions stay in memory (no
output is written, which only favours this side). Prints one JSON line: seconds spent
loading (imports and model) and predicting, rows, and this process's peak RSS.

Usage: python benchmarks/batch/inprocess.py MODEL_DIR INPUT_FOLDER
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(model_dir: str, folder: str) -> None:
    started = time.perf_counter()
    import mlflow.pyfunc
    import pandas as pd

    model = mlflow.pyfunc.load_model(model_dir)
    loaded = time.perf_counter()
    rows, outputs = 0, []
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path)
        outputs.append(model.predict(frame))
        rows += len(frame)
    done = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "load_s": loaded - started,
                "predict_s": done - loaded,
                "rows": rows,
                "predictions": sum(len(o) for o in outputs),
                "peak_mb": peak_kib / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
