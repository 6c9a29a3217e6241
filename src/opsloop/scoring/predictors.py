"""Loaded models behind a deployment: one ``predict`` for every kind of model.

- ``NumpyPredictor``: an MLflow scikit-learn model with numeric inputs; rows become one
  numpy array and go straight to the estimator, skipping the per-request pandas round
  trip that dominates single-row latency in ``mlflow models serve``.
- ``OnnxPredictor``: the same through ONNX Runtime, when ``runtime_choice`` chose it
  (``inference_runtime: auto``, the default, or ``onnx``).
- ``FramePredictor``: any other MLflow model, through pyfunc and a DataFrame.
- ``ScriptPredictor``: a scoring script with ``init()`` and ``run(raw_data)``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from opsloop.errors import ValidationError
from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.protocols import BadRequest, Rows, parse_mlflow
from opsloop.scoring.signature_types import SignatureWidening, schema_problem

_NUMERIC_TYPES = frozenset(("double", "float", "long", "integer", "boolean"))


class ModelFailure(Exception):
    """The model or scoring script raised: the endpoint answers 424."""


class Predictor(Protocol):
    kind: str
    takes_raw_body: bool

    def predict(self, rows: Rows) -> Any:
        """Predictions for the rows: a numpy array, a list or a DataFrame."""

    def run_raw(self, body: bytes) -> Any:
        """Scoring scripts only: ``run(raw_data)`` on the request body text."""


@dataclass(frozen=True)
class MlflowModelInfo:
    flavors: dict[str, Any]
    input_columns: list[str] | None
    numeric_inputs: bool

    @classmethod
    def read(cls, model_dir: Path) -> MlflowModelInfo:
        mlmodel = model_dir / "MLmodel"
        if not mlmodel.is_file():
            raise ValidationError(f"{model_dir} holds no MLmodel file", field="model")
        content = yaml.safe_load(mlmodel.read_text()) or {}
        signature = (content.get("signature") or {}).get("inputs")
        columns: list[str] | None = None
        numeric = True
        if signature:
            specs = yaml.safe_load(signature) if isinstance(signature, str) else signature
            named = [spec for spec in specs if "name" in spec]
            if named and len(named) == len(specs):
                columns = [spec["name"] for spec in specs]
            numeric = all(spec.get("type") in _NUMERIC_TYPES for spec in specs)
        return cls(content.get("flavors") or {}, columns, numeric)


def sample_rows(model_dir: Path) -> Rows | None:
    """The model's logged input example, if it has one."""
    serving = model_dir / "serving_input_example.json"
    if serving.is_file():
        return parse_mlflow(serving.read_bytes(), "application/json")
    example = model_dir / "input_example.json"
    if example.is_file():
        return parse_mlflow(
            b'{"dataframe_split": ' + example.read_bytes() + b"}", "application/json"
        )
    return None


class TabularPredictor:
    """Shared by the MLflow predictors: align request columns with the signature.

    The numeric ones (scikit-learn, ONNX) predict on a matrix, so that the rows of several
    requests can share one model call (see batching)."""

    takes_raw_body = False
    matrix_dtype: Any = np.float64

    def __init__(self, info: MlflowModelInfo) -> None:
        self.info = info

    def predict(self, rows: Rows) -> Any:
        return self.predict_matrix(self.matrix(rows, self.matrix_dtype))

    def predict_matrix(self, matrix: np.ndarray) -> Any:
        """Predictions for each row of the matrix, in order."""
        raise NotImplementedError

    def matrix(self, rows: Rows, dtype: Any = np.float64) -> np.ndarray:
        values = self.ordered(rows)
        if len(values) == 0:
            raise BadRequest("the request holds no rows")
        try:
            matrix = np.asarray(values, dtype=dtype)
        except (TypeError, ValueError):
            raise BadRequest("every input value must be a number for this model") from None
        expected = len(self.info.input_columns) if self.info.input_columns else None
        if matrix.ndim != 2 or (expected is not None and matrix.shape[1] != expected):
            width = matrix.shape[1] if matrix.ndim == 2 else "?"
            raise BadRequest(f"the model takes {expected} input columns, the request has {width}")
        return matrix

    def ordered(self, rows: Rows) -> list[list[Any]] | np.ndarray:
        expected = self.info.input_columns
        if rows.columns is None or expected is None or rows.columns == expected:
            return rows.values
        position = {name: index for index, name in enumerate(rows.columns)}
        missing = [name for name in expected if name not in position]
        if missing:
            raise BadRequest(f"the request lacks input column(s) {', '.join(missing[:5])}")
        order = [position[name] for name in expected]
        return [[row[i] for i in order] for row in rows.values]

    def run_raw(self, body: bytes) -> Any:
        raise BadRequest("this deployment has no scoring script; send a protocol body")


class NumpyPredictor(TabularPredictor):
    kind = "sklearn"

    def __init__(self, model_dir: Path, info: MlflowModelInfo) -> None:
        super().__init__(info)
        import mlflow.sklearn

        self.model = mlflow.sklearn.load_model(str(model_dir))
        # Estimators fitted on DataFrames warn on every array; the columns are aligned above.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")

    def predict_matrix(self, matrix: np.ndarray) -> Any:
        return self.model.predict(matrix)


class FramePredictor(TabularPredictor):
    kind = "pyfunc"

    def __init__(self, model_dir: Path, info: MlflowModelInfo) -> None:
        super().__init__(info)
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(str(model_dir))
        self.widen = SignatureWidening(self.model.metadata.get_input_schema())

    def predict(self, rows: Rows) -> Any:
        import pandas as pd

        columns = rows.columns or self.info.input_columns
        try:
            frame = pd.DataFrame(rows.values, columns=columns)
        except ValueError as exc:  # rows wider or narrower than the columns: the request's
            raise BadRequest(f"the rows do not match the columns {columns}: {exc}") from None
        try:
            return self.model.predict(self.widen(frame), params=rows.params)
        except Exception as exc:  # MLflow's schema enforcement speaks for the input
            if type(exc).__name__ == "MlflowException":
                raise BadRequest(schema_problem(str(exc))) from None
            raise


class ScriptPredictor:
    """``init()`` once when loaded, ``run(raw_data)`` per request, as in Azure ML."""

    kind = "script"
    takes_raw_body = True
    _import_lock = threading.Lock()

    def __init__(self, deployment: DeploymentBundle) -> None:
        configuration = deployment.spec.code_configuration
        assert configuration is not None and deployment.code_dir is not None
        script = deployment.code_dir / configuration.scoring_script
        if not script.is_file():
            raise ValidationError(
                f"scoring script {configuration.scoring_script!r} is not in the code folder",
                field="code_configuration.scoring_script",
            )
        model_dir = str(deployment.model_dir) if deployment.model_dir else ""
        # Scripts read these in init(); they are process-wide, as in a container.
        os.environ.update(deployment.spec.environment_variables)
        os.environ["AZUREML_MODEL_DIR"] = model_dir
        os.environ["OPSLOOP_MODEL_DIR"] = model_dir
        with self._import_lock:
            self.module = _import_script(script, deployment.code_dir)
        for name in ("init", "run"):
            if not callable(getattr(self.module, name, None)):
                raise ValidationError(
                    f"scoring script {script.name} has no {name}() function",
                    field="code_configuration.scoring_script",
                )
        try:
            self.module.init()
        except Exception as exc:
            raise ModelFailure(f"init() failed: {type(exc).__name__}: {exc}") from exc

    def predict(self, rows: Rows) -> Any:
        raise BadRequest("this deployment has a scoring script; send its body to /score")

    def run_raw(self, body: bytes) -> Any:
        return self.module.run(body.decode("utf-8", errors="replace"))


def _import_script(script: Path, code_dir: Path) -> Any:
    module_name = f"opsloop_scoring_{abs(hash(str(script)))}"
    spec = importlib.util.spec_from_file_location(module_name, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if str(code_dir) not in sys.path:
        sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ModelFailure(f"{script.name} failed to import: {type(exc).__name__}: {exc}") from exc
    return module


def load_predictor(deployment: DeploymentBundle) -> Predictor:
    """The predictor provisioning chose: ONNX Runtime when it left a verified ONNX file, the
    scoring script when there is one, the model's own flavor otherwise."""
    if deployment.spec.code_configuration is not None:
        return ScriptPredictor(deployment)
    model_dir = require_mlflow_model(deployment.model_dir, deployment.model_type)
    info = MlflowModelInfo.read(model_dir)
    if deployment.onnx_path is not None:
        from opsloop.scoring.onnx_runtime import OnnxPredictor

        return OnnxPredictor(deployment.onnx_path, info)
    if deployment.spec.inference_runtime == "onnx":
        raise ValidationError(
            "the ONNX model has not been converted yet", field="inference_runtime"
        )
    if native_kind(info) == NumpyPredictor.kind:
        return NumpyPredictor(model_dir, info)
    return FramePredictor(model_dir, info)


def native_kind(info: MlflowModelInfo) -> str:
    """The model's own flavor as a predictor: scikit-learn on a numpy matrix when its inputs
    are numbers, MLflow's pyfunc on a DataFrame otherwise."""
    return "sklearn" if "sklearn" in info.flavors and info.numeric_inputs else "pyfunc"


def require_mlflow_model(model_dir: Path | None, model_type: str | None) -> Path:
    """The folder of an MLflow model that a deployment without a scoring script can serve."""
    if model_dir is None:
        raise ValidationError("a deployment without a scoring script needs a model", field="model")
    if model_type == "custom_model":
        raise ValidationError(
            "a custom_model needs a code_configuration with a scoring script",
            field="code_configuration",
        )
    return model_dir
