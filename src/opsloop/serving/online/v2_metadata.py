"""The Open Inference Protocol's model metadata (``GET /v2/models/<m>``): the tensors a
model takes and returns, read from its MLflow signature."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from opsloop.scoring.open_inference import OUTPUT_NAME
from opsloop.scoring.tensors import datatype_of_dtype

# MLflow column types -> V2 datatypes (tensor specs carry a numpy dtype: see _tensor_datatype).
_COLUMN_DATATYPES = {
    "double": "FP64", "float": "FP32", "long": "INT64", "integer": "INT32", "boolean": "BOOL",
    "string": "BYTES", "binary": "BYTES", "datetime": "BYTES",
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
    outputs = _tensors(signature.get("outputs"), OUTPUT_NAME)
    if len(outputs) == 1:
        outputs[0]["name"] = OUTPUT_NAME  # as infer names it, whatever the signature says
    return _tensors(signature.get("inputs"), "input"), outputs


def _tensors(specs: Any, default_name: str) -> list[dict[str, Any]]:
    if isinstance(specs, str):
        specs = yaml.safe_load(specs)
    if not isinstance(specs, list):
        return []
    tensors = []
    for index, spec in enumerate(specs):
        if spec.get("type") == "tensor":
            detail = spec.get("tensor-spec") or {}
            datatype = _tensor_datatype(str(detail.get("dtype")))
            shape = list(detail.get("shape") or [-1])
        else:
            datatype, shape = _COLUMN_DATATYPES.get(str(spec.get("type")), "BYTES"), [-1]
        name = spec.get("name") or (default_name if len(specs) == 1 else f"{default_name}_{index}")
        tensors.append({"name": name, "datatype": datatype, "shape": shape})
    return tensors


def _tensor_datatype(dtype_name: str) -> str:
    try:
        return datatype_of_dtype(np.dtype(dtype_name))
    except TypeError:
        return "BYTES"
