"""Which runtime scores a model: ONNX Runtime where it is proven the same, its own otherwise.

``inference_runtime: auto`` (the default) converts a scikit-learn model with numeric inputs
with skl2onnx and keeps the conversion only if it predicts what the original predicts on
the model's input example; any other model, a failed conversion or a mismatch is scored by
the model's own flavor, and the reason is kept. Under ``auto`` nothing about ONNX can
refuse a deployment. Pinned ``onnx`` refuses instead (the error says why); pinned
``native`` never converts.

Online provisioning and batch scoring both call ``choose_runtime``, so a model is scored
by the same runtime in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsloop.scoring.predictors import MlflowModelInfo, native_kind, require_mlflow_model


@dataclass(frozen=True)
class RuntimeChoice:
    """``runtime``: ``onnx``, ``sklearn`` or ``pyfunc`` (the model's own flavor), or
    ``script`` (a scoring script scores); ``onnx_path`` is the verified file for ``onnx``."""

    runtime: str
    reason: str
    onnx_path: Path | None = None


def choose_runtime(
    requested: str,
    model_dir: Path | None,
    scratch: Path,
    *,
    model_type: str | None = None,
    scoring_script: bool = False,
) -> RuntimeChoice:
    """The runtime for ``inference_runtime: requested``; an ONNX file goes into ``scratch``.

    Raises a ValidationError only for a model that cannot be scored at all, or for pinned
    ``onnx`` when the conversion is not possible or not the same."""
    if scoring_script:
        return RuntimeChoice(
            "script", f"{requested}: the scoring script (code_configuration) calls the model itself"
        )
    model_dir = require_mlflow_model(model_dir, model_type)
    from opsloop.scoring.onnx_runtime import convert, convert_and_verify

    destination = scratch / "model.onnx"
    if requested == "onnx":
        convert_and_verify(model_dir, destination)
        return RuntimeChoice("onnx", f"onnx: {_VERIFIED}", destination)
    native = native_kind(MlflowModelInfo.read(model_dir))
    if requested == "native":
        return RuntimeChoice(native, "native: the model's own flavor, as pinned")
    try:
        problem = convert(model_dir, destination)
    except Exception as exc:  # skl2onnx or ONNX Runtime on a model they do not take
        problem = f"the ONNX conversion failed: {type(exc).__name__}: {exc}"
    if problem is not None:
        return RuntimeChoice(native, f"auto: {problem}")
    return RuntimeChoice("onnx", f"auto: {_VERIFIED}", destination)


_VERIFIED = "converted to ONNX, same predictions as the original on the input example"
