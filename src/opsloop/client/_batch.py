"""SDK operations for batch endpoints and deployments."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from opsloop.client._resolve import HashingResolver, Resolver, is_local_path
from opsloop.client._resources import _NamedOperations, _Operations, build_spec
from opsloop.schemas.endpoints import BatchDeployment, BatchEndpoint
from opsloop.schemas.entities import Job
from opsloop.specs.endpoint import BatchDeploymentSpec, BatchEndpointSpec


class BatchEndpointOperations(_NamedOperations[BatchEndpoint]):
    route = "batch-endpoints"
    spec_model = BatchEndpointSpec
    entity = BatchEndpoint

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        self._client.request("DELETE", self._path(workspace, name))

    def invoke(
        self,
        name: str,
        *,
        input: str | Path,
        input_type: str = "uri_folder",
        deployment_name: str | None = None,
        workspace: str | None = None,
    ) -> Job:
        """Score a data asset (``name@latest``), a URL, or a local file or folder (uploaded)."""
        path = str(input)
        if is_local_path(path):
            self._client._upload_workspace = self._ws(workspace)
            path = Resolver(self._client._upload).upload_path(path, _here(), "input")
        body = {"input": path, "input_type": input_type, "deployment_name": deployment_name}
        return self._post(Job, f"{self._path(workspace, name)}/invoke", body)

    def list_jobs(self, name: str, *, workspace: str | None = None) -> builtins.list[Job]:
        return self._list(Job, f"{self._path(workspace, name)}/jobs")


class BatchDeploymentOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        set_default: bool = False,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        dry_run: bool = False,
        **fields: Any,
    ) -> BatchDeployment:
        """With ``dry_run``: checked and answered; nothing uploaded or stored."""
        data, origin = build_spec(
            BatchDeploymentSpec, spec, file=file, overrides=overrides, fields=fields
        )
        self._client._upload_workspace = self._ws(workspace)
        resolver = HashingResolver() if dry_run else Resolver(self._client._upload)
        data = resolver.deployment(data, origin)
        origin.validate(BatchDeploymentSpec, data)
        path = (
            f"/workspaces/{self._ws(workspace)}/batch-endpoints/{data['endpoint_name']}/deployments"
        )
        with origin.located():
            params = {"set_default": "true"} if set_default else {}
            if dry_run:
                params["dry_run"] = "true"
            answer = self._client.request("POST", path, json=data, params=params or None)
        return BatchDeployment.model_validate(answer)

    def get(
        self, name: str, *, endpoint_name: str, workspace: str | None = None
    ) -> BatchDeployment:
        path = (
            f"/workspaces/{self._ws(workspace)}/batch-endpoints/{endpoint_name}/deployments/{name}"
        )
        return self._get(BatchDeployment, path)

    def delete(self, name: str, *, endpoint_name: str, workspace: str | None = None) -> None:
        path = (
            f"/workspaces/{self._ws(workspace)}/batch-endpoints/{endpoint_name}/deployments/{name}"
        )
        self._client.request("DELETE", path)

    def list(self, *, endpoint_name: str, workspace: str | None = None) -> list[BatchDeployment]:
        path = f"/workspaces/{self._ws(workspace)}/batch-endpoints/{endpoint_name}/deployments"
        return self._list(BatchDeployment, path)


def _here() -> Any:
    from opsloop.client._resolve import Origin

    return Origin(Path.cwd())
