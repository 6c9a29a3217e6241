"""ONNX Runtime for scikit-learn models: convert with skl2onnx, verify, then serve.

Conversion happens when a deployment is created or updated, and the converted model goes
live only if it gives the same predictions as the original on the model's input example
(labels equal for classifiers; values within ``RTOL``/``ATOL`` for regressors, since
ONNX computes in float32).
"""

from __future__ import annotations

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
                "inference_runtime onnx needs onnxruntime: pip install 'opsloop[onnx]'", field=FIELD
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


def convert_and_verify(model_dir: Path, destination: Path) -> Path:
    """Write ``destination`` (model.onnx) or raise a ValidationError that says why not."""
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError:
        raise ValidationError(
            "inference_runtime onnx needs skl2onnx and onnxruntime: pip install 'opsloop[onnx]'",
            field=FIELD,
        ) from None
    info = MlflowModelInfo.read(model_dir)
    if "sklearn" not in info.flavors or not info.numeric_inputs:
        raise ValidationError(
            "inference_runtime onnx supports scikit-learn models with numeric inputs", field=FIELD
        )
    sample = sample_rows(model_dir)
    if sample is None:
        raise ValidationError(
            "inference_runtime onnx needs the model's input example to verify the conversion; "
            "log the model with input_example",
            field=FIELD,
        )
    import mlflow.sklearn

    model = mlflow.sklearn.load_model(str(model_dir))
    width = len(info.input_columns) if info.input_columns else len(sample.values[0])
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    try:
        onnx_model = convert_sklearn(
            model, initial_types=[("input", FloatTensorType([None, width]))], options=options
        )
    except Exception as exc:
        raise ValidationError(f"skl2onnx cannot convert this model: {exc}", field=FIELD) from None
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(onnx_model.SerializeToString())
    _verify(model, OnnxPredictor(destination, info), sample)
    return destination


def _verify(model: Any, converted: OnnxPredictor, sample: Rows) -> None:
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    expected = np.asarray(model.predict(converted.matrix(sample)))
    actual = np.asarray(converted.predict(sample))
    if expected.shape != actual.shape:
        raise ValidationError(
            f"the ONNX model answers shape {actual.shape}, the original {expected.shape}",
            field=FIELD,
        )
    if expected.dtype.kind in "fc":
        same = np.allclose(actual, expected, rtol=RTOL, atol=ATOL)
    else:
        same = bool(np.array_equal(actual.astype(expected.dtype), expected))
    if not same:
        raise ValidationError(
            "the ONNX model's predictions differ from the original on the input example "
            f"(original {expected[:3].tolist()}, onnx {actual[:3].tolist()}); keep inference_runtime native",
            field=FIELD,
        )
