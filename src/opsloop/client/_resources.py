"""One operations class per noun; each builds a spec, resolves local files, calls the API."""

from __future__ import annotations

import builtins
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from opsloop.client._progress import StepProgress
from opsloop.client._resolve import Origin, Resolver
from opsloop.errors import OpsloopError
from opsloop.schemas.entities import (
    Component,
    DataAsset,
    Datastore,
    Environment,
    Job,
    LogChunk,
    Model,
    Registry,
    Workspace,
)
from opsloop.specs import (
    ComponentSpec,
    DataSpec,
    DatastoreSpec,
    EnvironmentSpec,
    JobSpec,
    ModelSpec,
    RegistrySpec,
    WorkspaceSpec,
    apply_overrides,
)
from opsloop.specs.loader import override_paths, read_yaml

if TYPE_CHECKING:
    from opsloop.client._client import Client

EntityT = TypeVar("EntityT", bound=BaseModel)


def build_spec(
    model: Any,
    spec: Any = None,
    *,
    file: str | Path | None = None,
    overrides: list[str] | None = None,
    fields: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Origin]:
    """Spec data from a file, a mapping or a spec object, with overrides, checked once."""
    if file is not None:
        path = Path(file)
        data, lines = read_yaml(path)
        origin = Origin(path.resolve().parent, str(path), lines)
    elif isinstance(spec, BaseModel):
        data, origin = spec.model_dump(by_alias=True, exclude_none=True), Origin(Path.cwd())
    else:
        data, origin = dict(spec or {}), Origin(Path.cwd())
    given = {k: v for k, v in (fields or {}).items() if v is not None}
    data.update(given)
    origin.given.update({(key,): key for key in given})
    if overrides:
        apply_overrides(data, overrides)
        origin.given.update({path: f"--set {'.'.join(path)}" for path in override_paths(overrides)})
    origin.validate(model, data)
    return data, origin


class _Operations:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _ws(self, workspace: str | None) -> str:
        return self._client.workspace_name(workspace)

    def _get(self, entity: type[EntityT], path: str, **params: Any) -> EntityT:
        return entity.model_validate(self._client.request("GET", path, params=params or None))

    def _list(self, entity: type[EntityT], path: str, **params: Any) -> list[EntityT]:
        clean = {k: v for k, v in params.items() if v is not None}
        return [
            entity.model_validate(x)
            for x in self._client.request("GET", path, params=clean or None)
        ]

    def _post(self, entity: type[EntityT], path: str, body: dict[str, Any]) -> EntityT:
        return entity.model_validate(self._client.request("POST", path, json=body))

    def _download_folder(
        self, path: str, target: Path, *, method: str = "GET", json: Any = None
    ) -> httpx.Headers:
        """Fetch a gzipped tar answer and unpack it into ``target``; the answer's headers."""
        with tempfile.TemporaryDirectory(prefix="opsloop-dl-") as scratch:
            archive = Path(scratch) / "download.tar.gz"
            with archive.open("wb") as handle:
                headers = self._client._transport.download(path, handle, method=method, json=json)
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(target, filter="data")
        return headers

    def _submit(
        self,
        workspace: str | None,
        kind: str,
        model: Any,
        entity: type[EntityT],
        spec: Any,
        file: Any,
        overrides: Any,
        fields: dict[str, Any],
    ) -> EntityT:
        ws = self._ws(workspace)
        data, origin = build_spec(model, spec, file=file, overrides=overrides, fields=fields)
        self._client._upload_workspace = ws
        # One resolver per submission: a folder shared by steps uploads once, and a file
        # changed between two submissions is uploaded again.
        resolver = Resolver(self._client._upload)
        data = getattr(resolver, kind)(data, origin)
        origin.validate(model, data)
        with origin.located():
            created = self._post(entity, f"/workspaces/{ws}/{_ROUTES[kind]}", data)
        return origin.locate_warnings(created)


_ROUTES = {
    "data": "data",
    "environment": "environments",
    "component": "components",
    "job": "jobs",
    "model": "models",
}


class WorkspaceOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Workspace:
        data, _ = build_spec(WorkspaceSpec, spec, file=file, overrides=overrides, fields=fields)
        return self._post(Workspace, "/workspaces", data)

    def get(self, name: str) -> Workspace:
        return self._get(Workspace, f"/workspaces/{name}")

    def list(self) -> list[Workspace]:
        return self._list(Workspace, "/workspaces")

    def delete(self, name: str) -> None:
        self._client.request("DELETE", f"/workspaces/{name}")


class RegistryOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Registry:
        data, _ = build_spec(RegistrySpec, spec, file=file, overrides=overrides, fields=fields)
        return self._post(Registry, "/registries", data)

    def get(self, name: str) -> Registry:
        return self._get(Registry, f"/registries/{name}")

    def list(self) -> list[Registry]:
        return self._list(Registry, "/registries")


class _NamedOperations(_Operations, Generic[EntityT]):
    """A workspace's noun addressed by name (``/workspaces/<ws>/<route>/<name>``): created
    from a YAML file, a spec or keyword fields, then read by name or listed."""

    route = ""
    spec_model: Any = None
    entity: type[EntityT]

    def _path(self, workspace: str | None, name: str = "") -> str:
        base = f"/workspaces/{self._ws(workspace)}/{self.route}"
        return f"{base}/{name}" if name else base

    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> EntityT:
        data, origin = build_spec(
            self.spec_model, spec, file=file, overrides=overrides, fields=fields
        )
        with origin.located():
            return origin.locate_warnings(self._post(self.entity, self._path(workspace), data))

    def get(self, name: str, *, workspace: str | None = None) -> EntityT:
        return self._get(self.entity, self._path(workspace, name))

    def list(self, *, workspace: str | None = None) -> builtins.list[EntityT]:
        return self._list(self.entity, self._path(workspace))


class DatastoreOperations(_NamedOperations[Datastore]):
    route = "datastores"
    spec_model = DatastoreSpec
    entity = Datastore


class _VersionedOperations(_Operations):
    kind = ""
    route = ""
    spec_model: Any = None
    entity: Any = None

    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Any:
        """Register a new version from a YAML file, a spec, or keyword fields."""
        return self._submit(
            workspace, self.kind, self.spec_model, self.entity, spec, file, overrides, fields
        )

    def get(self, reference: str, *, workspace: str | None = None) -> Any:
        """``name:version`` or ``name@latest`` (``azureml:`` prefix accepted)."""
        return self._get(self.entity, f"/workspaces/{self._ws(workspace)}/{self.route}/{reference}")

    def list(self, name: str | None = None, *, workspace: str | None = None) -> list[Any]:
        """All versions of ``name`` (newest first), or the latest version of every name."""
        return self._list(self.entity, f"/workspaces/{self._ws(workspace)}/{self.route}", name=name)


class DataOperations(_VersionedOperations):
    kind, route, spec_model, entity = "data", "data", DataSpec, DataAsset


class EnvironmentOperations(_VersionedOperations):
    kind, route, spec_model, entity = "environment", "environments", EnvironmentSpec, Environment


class ComponentOperations(_VersionedOperations):
    kind, route, spec_model, entity = "component", "components", ComponentSpec, Component


class ModelOperations(_VersionedOperations):
    kind, route, spec_model, entity = "model", "models", ModelSpec, Model

    def download(
        self, reference: str, destination: str | Path, *, workspace: str | None = None
    ) -> Path:
        """Copy the model's files into ``destination/<name>-<version>`` and return that path."""
        model: Model = self.get(reference, workspace=workspace)
        target = Path(destination) / f"{model.name}-{model.version}"
        path = f"/workspaces/{self._ws(workspace)}/models/{model.name}:{model.version}/download"
        self._download_folder(path, target)
        return target

    def load(self, reference: str, *, workspace: str | None = None) -> Any:
        """Load a registered MLflow model as an ``mlflow.pyfunc.PyFuncModel``."""
        import mlflow.pyfunc

        model: Model = self.get(reference, workspace=workspace)
        if model.type != "mlflow_model":
            raise OpsloopError(
                f"model {model.reference} is a {model.type}; only mlflow_model loads as pyfunc"
            )
        from opsloop.file_urls import local_path_of

        local = local_path_of(model.path)
        if local is None or not local.exists() or self._client.is_remote:
            cache = Path(tempfile.mkdtemp(prefix="opsloop-model-"))
            local = self.download(model.reference, cache, workspace=workspace)
        return mlflow.pyfunc.load_model(str(local))


class JobOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Job:
        """Submit a command or pipeline job; it starts at once and runs in the background."""
        return self._submit(workspace, "job", JobSpec, Job, spec, file, overrides, fields)

    def get(self, name: str, *, workspace: str | None = None) -> Job:
        return self._get(Job, f"/workspaces/{self._ws(workspace)}/jobs/{name}")

    def list(self, *, workspace: str | None = None, limit: int = 100) -> list[Job]:
        return self._list(Job, f"/workspaces/{self._ws(workspace)}/jobs", limit=limit)

    def cancel(self, name: str, *, workspace: str | None = None) -> Job:
        return self._post(Job, f"/workspaces/{self._ws(workspace)}/jobs/{name}/cancel", {})

    def logs(
        self, name: str, *, workspace: str | None = None, offsets: dict[str, int] | None = None
    ) -> LogChunk:
        import json

        return self._get(
            LogChunk,
            f"/workspaces/{self._ws(workspace)}/jobs/{name}/logs",
            offsets=json.dumps(offsets or {}),
        )

    def stream(
        self,
        name: str,
        *,
        workspace: str | None = None,
        out: IO[str] | None = None,
        poll_seconds: float = 0.5,
    ) -> Job:
        """Print the job's logs as they are written, and each pipeline step's state as it
        changes (Running, Completed in 12.3 s, Reused from ...), until the job ends;
        returns the final job."""
        out = out or sys.stdout
        offsets: dict[str, int] = {}
        progress = StepProgress()
        while True:
            chunk = self.logs(name, workspace=workspace, offsets=offsets)
            if chunk.text:
                out.write(chunk.text)
            job = self.get(name, workspace=workspace)
            for line in progress.changes(job):
                out.write(f"[step] {line}\n")
            out.flush()
            offsets = chunk.offsets
            if chunk.complete:
                return job if job.is_terminal else self.get(name, workspace=workspace)
            time.sleep(poll_seconds)

    def download(
        self,
        name: str,
        *,
        output_name: str = "artifacts",
        download_path: str | Path = ".",
        workspace: str | None = None,
    ) -> Path:
        """Copy a job output's files here, laid out as ``az ml job download`` does:
        ``<path>/artifacts`` (what the command wrote to ./outputs and ./logs, and its log)
        or ``<path>/named-outputs/<output>``; returns that folder."""
        base = Path(download_path)
        target = (
            base / output_name
            if output_name == "artifacts"
            else base / "named-outputs" / output_name
        )
        path = f"/workspaces/{self._ws(workspace)}/jobs/{name}/outputs/{output_name}/download"
        self._download_folder(path, target)
        return target

    def wait(
        self,
        name: str,
        *,
        workspace: str | None = None,
        timeout: float = 3600,
        poll_seconds: float = 0.3,
    ) -> Job:
        """Block until the job reaches Completed, Failed or Canceled."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(name, workspace=workspace)
            if job.is_terminal:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {name} still {job.status} after {timeout:.0f} s")
            time.sleep(poll_seconds)
