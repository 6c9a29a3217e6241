"""Model operations: aliases, download and load (versions and registries as every
shareable asset)."""

from __future__ import annotations

import builtins
import tempfile
from pathlib import Path
from typing import Any

from opsloop.client._resources import _ShareableOperations
from opsloop.errors import OpsloopError
from opsloop.schemas.entities import Model, ModelAlias


class ModelOperations(_ShareableOperations):
    kind, route, spec_model, entity = "model", "models", "ModelSpec", Model

    def set_alias(
        self, name: str, alias: str, version: str, *, workspace: str | None = None
    ) -> ModelAlias:
        """Point ``name@alias`` at ``version`` (``3``, or ``@latest``/``@<alias>`` as now)."""
        path = f"/workspaces/{self._ws(workspace)}/models/{name}/aliases/{alias}"
        return ModelAlias.model_validate(
            self._client.request("PUT", path, json={"version": version})
        )

    def delete_alias(self, name: str, alias: str, *, workspace: str | None = None) -> None:
        self._client.request(
            "DELETE", f"/workspaces/{self._ws(workspace)}/models/{name}/aliases/{alias}"
        )

    def aliases(self, name: str, *, workspace: str | None = None) -> builtins.list[ModelAlias]:
        return self._list(ModelAlias, f"/workspaces/{self._ws(workspace)}/models/{name}/aliases")

    def download(
        self,
        reference: str,
        destination: str | Path,
        *,
        workspace: str | None = None,
        registry: str | None = None,
    ) -> Path:
        """Copy the model's files into ``destination/<name>-<version>`` and return that path."""
        model: Model = self.get(reference, workspace=workspace, registry=registry)
        target = Path(destination) / f"{model.name}-{model.version}"
        if model.registry:
            path = f"/registries/{model.registry}/models/{model.name}:{model.version}/download"
        else:
            path = f"/workspaces/{self._ws(workspace)}/models/{model.name}:{model.version}/download"
        self._download_folder(path, target)
        return target

    def load(
        self, reference: str, *, workspace: str | None = None, registry: str | None = None
    ) -> Any:
        """Load a registered MLflow model as an ``mlflow.pyfunc.PyFuncModel``."""
        import mlflow.pyfunc

        model: Model = self.get(reference, workspace=workspace, registry=registry)
        if model.type != "mlflow_model":
            raise OpsloopError(
                f"model {model.reference} is a {model.type}; only mlflow_model loads as pyfunc"
            )
        from opsloop.file_urls import local_path_of

        local = local_path_of(model.path)
        if local is None or not local.exists() or self._client.is_remote:
            cache = Path(tempfile.mkdtemp(prefix="opsloop-model-"))
            local = self.download(
                f"{model.name}:{model.version}", cache, workspace=workspace, registry=model.registry
            )
        return mlflow.pyfunc.load_model(str(local))
