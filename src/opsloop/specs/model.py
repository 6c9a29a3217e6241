"""Model specs: an MLflow model or a custom model folder."""

from __future__ import annotations

from opsloop.specs.base import AssetPath, AssetVersion, ModelType, NamedSpec


class ModelSpec(NamedSpec):
    version: AssetVersion = None
    type: ModelType = "mlflow_model"
    path: AssetPath
