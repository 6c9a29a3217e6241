"""The Open Inference Protocol's model metadata (``GET /v2/models/<m>``): the tensors a
model takes and returns, read from its MLflow signature."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# MLflow column and tensor types -> V2 datatypes.
_DATATYPES = {
    "double": "FP64", "float64": "FP64", "float": "FP32", "float32": "FP32",
    "long": "INT64", "int64": "INT64", "integer": "INT32", "int32": "INT32",
    "boolean": "BOOL", "bool": "BOOL", "string": "BYTES", "binary": "BYTES", "str": "BYTES",
    "object": "BYTES", "datetime": "BYTES",
}  # fmt: skip


def signature_tensors(model_dir: Path | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(inputs, outputs) as V2 tensor metadata; empty lists when the model has no signature."""
    if model_dir is None:
        return [], []
    return _read(str(model_dir))


@lru_cache(maxsize=64)
def _read(model_dir: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mlmodel = Path(model_dir) / "MLmodel"
    if not mlmodel.is_file():
        return [], []
    signature = (yaml.safe_load(mlmodel.read_text()) or {}).get("signature") or {}
    return _tensors(signature.get("inputs"), "input"), _tensors(signature.get("outputs"), "predict")


def _tensors(specs: Any, default_name: str) -> list[dict[str, Any]]:
    if isinstance(specs, str):
        specs = yaml.safe_load(specs)
    if not isinstance(specs, list):
        return []
    tensors = []
    for index, spec in enumerate(specs):
        if spec.get("type") == "tensor":
            detail = spec.get("tensor-spec") or {}
            datatype = _DATATYPES.get(str(detail.get("dtype")), "BYTES")
            shape = list(detail.get("shape") or [-1])
        else:
            datatype, shape = _DATATYPES.get(str(spec.get("type")), "BYTES"), [-1]
        name = spec.get("name") or (default_name if len(specs) == 1 else f"{default_name}_{index}")
        tensors.append({"name": name, "datatype": datatype, "shape": shape})
    return tensors
