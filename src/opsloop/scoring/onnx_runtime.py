"""ONNX Runtime for scikit-learn models: convert with skl2onnx, verify, then serve.

Conversion happens when a deployment is created or updated (``runtime_choice`` decides
whether to try), and the converted model goes live only if it gives the same predictions
as the original on the model's input example (labels equal for classifiers; values within
``RTOL``/``ATOL`` for regressors, since ONNX computes in float32).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from opsloop.errors import ValidationError
from opsloop.scoring.predictors import MlflowModelInfo, TabularPredictor, sample_rows
from opsloop.scoring.protocols import Rows

RTOL = 1e-4
ATOL = 1e-4
FIELD = "inference_runtime"


class OnnxPredictor(TabularPredictor):
    kind = "onnx"
    matrix_dtype = np.float32

    def __init__(self, onnx_path: Path, info: MlflowModelInfo) -> None:
        super().__init__(info)
        try:
            import onnxruntime
        except ImportError:
            raise ValidationError(
                "inference_runtime onnx needs onnxruntime: pip install onnxruntime", field=FIELD
            ) from None
        options = onnxruntime.SessionOptions()
        # One request is one small matrix: extra threads only add hand-off latency.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [self.session.get_outputs()[0].name]
        # InferenceSession.run checks its feed against the graph's inputs on every call,
        # ~3 µs of a ~10 µs single-row run; the feed here is always the one float input, so
        # call the compiled session (same arguments) when this onnxruntime has one.
        self._run = getattr(self.session, "_sess", self.session).run

    def predict_matrix(self, matrix: np.ndarray) -> Any:
        result = self._run(self.output_names, {self.input_name: matrix}, None)[0]
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result


def onnx_obstacle(info: MlflowModelInfo, sample: Rows | None) -> str | None:
    """Why this model cannot go through ONNX Runtime, or None if a conversion may be tried."""
    if not onnx_installed():
        return ONNX_EXTRA_MISSING
    if "sklearn" not in info.flavors:
        flavors = ", ".join(sorted(info.flavors)) or "none"
        return f"the conversion covers scikit-learn models, this one's flavors are {flavors}"
    if not info.numeric_inputs:
        return "the model has non-numeric inputs, which the conversion does not take"
    if sample is None:
        return NO_INPUT_EXAMPLE
    return None


def onnx_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("skl2onnx", "onnxruntime"))


def convert(model_dir: Path, destination: Path) -> str | None:
    """Write ``destination`` (model.onnx) and return None, or return why this model cannot
    be served by ONNX Runtime (not converted, or not the same predictions)."""
    info = MlflowModelInfo.read(model_dir)
    sample = sample_rows(model_dir)
    obstacle = onnx_obstacle(info, sample)
    if obstacle is not None or sample is None:
        return obstacle
    import mlflow.sklearn
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    model = mlflow.sklearn.load_model(str(model_dir))
    width = len(info.input_columns) if info.input_columns else len(sample.values[0])
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    try:
        onnx_model = convert_sklearn(
            model, initial_types=[("input", FloatTensorType([None, width]))], options=options
        )
    except Exception as exc:
        return f"skl2onnx cannot convert this model: {str(exc).splitlines()[0]}"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(onnx_model.SerializeToString())
    return _difference(model, OnnxPredictor(destination, info), sample)


def convert_and_verify(model_dir: Path, destination: Path) -> Path:
    """``convert`` for a pinned ``inference_runtime: onnx``: a ValidationError says why not."""
    problem = convert(model_dir, destination)
    if problem is not None:
        raise ValidationError(
            f"inference_runtime onnx cannot serve this model: {problem}{_HINTS.get(problem, '')}",
            field=FIELD,
        )
    return destination


ONNX_EXTRA_MISSING = "onnx extra not installed"
NO_INPUT_EXAMPLE = "the model has no input example to verify a conversion against"
_HINTS = {
    ONNX_EXTRA_MISSING: " (pip install skl2onnx onnxruntime)",
    NO_INPUT_EXAMPLE: "; log the model with input_example",
}


def _difference(model: Any, converted: OnnxPredictor, sample: Rows) -> str | None:
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    expected = np.asarray(model.predict(converted.matrix(sample)))
    actual = np.asarray(converted.predict(sample))
    if expected.shape != actual.shape:
        return f"the ONNX model answers shape {actual.shape}, the original {expected.shape}"
    if expected.dtype.kind in "fc":
        same = np.allclose(actual, expected, rtol=RTOL, atol=ATOL)
    else:
        same = bool(np.array_equal(actual.astype(expected.dtype), expected))
    if same:
        return None
    return (
        "the ONNX model's predictions differ from the original on the input example "
        f"(original {expected[:3].tolist()}, onnx {actual[:3].tolist()})"
    )
