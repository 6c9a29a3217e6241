"""The benchmark's model and input files: the quickstart's taxi fare model and trips.

The model is the quickstart's (examples/classical): its own ``build_pipeline`` (imputers, a
one-hot encoder and a ``RandomForestRegressor``, 50 trees by default) trained on 5,000
generated trips and saved by its own ``save_mlflow_model`` (skops, signature, input
example). The inputs are ``rows`` further trips (another seed), features only, split evenly
into ``files`` CSV files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "classical"


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def train_model(folder: Path, trees: int) -> Path:
    generate = _module("bench_generate", EXAMPLE / "data" / "generate.py")
    train = _module("bench_train", EXAMPLE / "data-science" / "src" / "train.py")
    data = generate.generate_taxi_data(rows=5000, seed=0)
    features = train.NUMERIC + train.CATEGORICAL
    pipe = train.build_pipeline(n_estimators=trees, max_depth=None, random_state=0)
    pipe.fit(data[features], data[train.TARGET])
    model_dir = folder / "model"
    train.save_mlflow_model(pipe, data[features].head(5), model_dir)
    return model_dir


def write_inputs(folder: Path, rows: int, files: int) -> Path:
    generate = _module("bench_generate", EXAMPLE / "data" / "generate.py")
    train = _module("bench_train", EXAMPLE / "data-science" / "src" / "train.py")
    trips = generate.generate_taxi_data(rows=rows, seed=1)[train.NUMERIC + train.CATEGORICAL]
    inputs = folder / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    per_file = -(-rows // files)
    for index in range(files):
        part = trips.iloc[index * per_file : (index + 1) * per_file]
        part.to_csv(inputs / f"trips-{index:02d}.csv", index=False)
    return inputs
