"""Model operations: versions, registries (share, read), aliases, download and load."""

from __future__ import annotations

import builtins
import tempfile
from pathlib import Path
from typing import Any

from opsloop.client._resources import _VersionedOperations
from opsloop.errors import OpsloopError
from opsloop.schemas.entities import Model, ModelAlias


class ModelOperations(_VersionedOperations):
    kind, route, spec_model, entity = "model", "models", "ModelSpec", Model

    def get(
        self, reference: str, *, workspace: str | None = None, registry: str | None = None
    ) -> Any:
        """``name:version``, ``name@latest`` or ``name@<alias>``; with ``registry``, a version
        shared into that registry."""
        if registry is not None:
            return self._get(Model, f"/registries/{registry}/models/{reference}")
        return super().get(reference, workspace=workspace)

    def list(
        self,
        name: str | None = None,
        *,
        workspace: str | None = None,
        include_archived: bool = False,
        registry: str | None = None,
    ) -> builtins.list[Any]:
        """As for every asset; with ``registry``, the versions shared into it."""
        if registry is not None:
            return self._list(Model, f"/registries/{registry}/models", name=name)
        return super().list(name, workspace=workspace, include_archived=include_archived)

    def share(
        self,
        reference: str,
        registry: str,
        *,
        share_with_name: str | None = None,
        share_with_version: str | None = None,
        workspace: str | None = None,
    ) -> Model:
        """Copy a model version into ``registry`` (files checked by their content hash,
        lineage kept), from where any workspace deploys it as
        ``azureml://registries/<registry>/models/<name>/versions/<version>``."""
        body = {
            "registry": registry,
            "share_with_name": share_with_name,
            "share_with_version": share_with_version,
        }
        path = f"/workspaces/{self._ws(workspace)}/models/{reference}/share"
        return self._post(Model, path, {k: v for k, v in body.items() if v is not None})

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
