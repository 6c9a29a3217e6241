"""One operations class per noun; each builds a spec, resolves local files, calls the API."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

# Re-exported: the other operations modules import them from here.
from opsloop.client._spec_data import _spec_class as _spec_class
from opsloop.client._spec_data import build_spec as build_spec
from opsloop.schemas.entities import (
    Component,
    DataAsset,
    Datastore,
    Environment,
    Registry,
    Workspace,
)
from opsloop.schemas.workspace_checks import Activity, Budget, CostReport

if TYPE_CHECKING:
    import httpx

    from opsloop.client._client import Client

EntityT = TypeVar("EntityT", bound=BaseModel)


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

    def _post(
        self, entity: type[EntityT], path: str, body: dict[str, Any], dry_run: bool = False
    ) -> EntityT:
        params = {"dry_run": "true"} if dry_run else None  # checked, answered, not stored
        return entity.model_validate(self._client.request("POST", path, json=body, params=params))

    def _download_folder(
        self,
        path: str,
        target: Path,
        *,
        method: str = "GET",
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Headers:
        """Fetch a gzipped tar answer and unpack it into ``target``; the answer's headers."""
        import tarfile  # with its compression modules: only a download needs them
        import tempfile

        with tempfile.TemporaryDirectory(prefix="opsloop-dl-") as scratch:
            archive = Path(scratch) / "download.tar.gz"
            with archive.open("wb") as handle:
                headers = self._client._transport.download(
                    path, handle, method=method, json=json, params=params
                )
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
        how: str = "create",  # "validate" or "dry_run": nothing is uploaded or stored
    ) -> EntityT:
        from opsloop.client._resolve import HashingResolver, Resolver

        ws = self._ws(workspace)
        model = _spec_class(model)
        data, origin = build_spec(model, spec, file=file, overrides=overrides, fields=fields)
        self._client._upload_workspace = ws
        # One resolver per submission: a folder shared by steps uploads once, and a file
        # changed between two submissions is uploaded again.
        resolver = Resolver(self._client._upload) if how == "create" else HashingResolver()
        data = getattr(resolver, kind)(data, origin)
        origin.validate(model, data)
        path = f"/workspaces/{ws}/{_ROUTES[kind]}" + ("/validate" if how == "validate" else "")
        with origin.located():
            created = self._post(entity, path, data, dry_run=how == "dry_run")
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
        data, _ = build_spec("WorkspaceSpec", spec, file=file, overrides=overrides, fields=fields)
        return self._post(Workspace, "/workspaces", data)

    def get(self, name: str) -> Workspace:
        return self._get(Workspace, f"/workspaces/{name}")

    def list(self) -> list[Workspace]:
        return self._list(Workspace, "/workspaces")

    def delete(self, name: str) -> None:
        self._client.request("DELETE", f"/workspaces/{name}")

    def update(self, name: str, **fields: Any) -> Workspace:
        """Change ``display_name``, ``description`` or ``tags`` (those given; None clears)::

        client.workspaces.update("dev", description="Where CI trains")
        """
        answer = self._client.request("PATCH", f"/workspaces/{name}", json=fields)
        return Workspace.model_validate(answer)

    def set_budget(
        self,
        name: str,
        *,
        monthly: float,
        currency: str = "USD",
        thresholds: builtins.list[int] | None = None,
        rates: dict[str, float] | None = None,
    ) -> Budget:
        """Set the monthly budget, alert thresholds (percent) and hourly rates::

        client.workspaces.set_budget("prod", monthly=500, rates={"compute.local": 0.1})
        """
        body: dict[str, Any] = {"monthly": monthly, "currency": currency, "rates": rates or {}}
        if thresholds is not None:
            body["thresholds"] = thresholds
        return Budget.model_validate(
            self._client.request("PUT", f"/workspaces/{name}/budget", json=body)
        )

    def get_budget(self, name: str) -> Budget:
        return self._get(Budget, f"/workspaces/{name}/budget")

    def set_stale_after(self, name: str, days: int) -> Budget:
        """How many idle days make a preproduction workspace stale (30 by default)."""
        body = {"stale_after_days": days}
        return Budget.model_validate(
            self._client.request("PUT", f"/workspaces/{name}/staleness", json=body)
        )

    def cost(self, name: str, *, month: str | None = None) -> CostReport:
        """Jobs' compute hours and endpoints' instance hours of a month (YYYY-MM), priced."""
        return self._get(
            CostReport, f"/workspaces/{name}/cost", **({"month": month} if month else {})
        )

    def activity(self, name: str) -> Activity:
        """The last job run, endpoint request and asset change, and whether it is stale."""
        return self._get(Activity, f"/workspaces/{name}/activity")

    def check(self, name: str) -> builtins.list[str]:
        """Run the cost and staleness checks now; the event types raised."""
        answer = self._client.request("POST", f"/workspaces/{name}/checks")
        return list(answer["raised"])


class RegistryOperations(_Operations):
    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Registry:
        data, _ = build_spec("RegistrySpec", spec, file=file, overrides=overrides, fields=fields)
        return self._post(Registry, "/registries", data)

    def get(self, name: str) -> Registry:
        return self._get(Registry, f"/registries/{name}")

    def update(self, name: str, **fields: Any) -> Registry:
        """Change ``description`` or ``tags`` (those given; None clears)."""
        answer = self._client.request("PATCH", f"/registries/{name}", json=fields)
        return Registry.model_validate(answer)

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
        dry_run: bool = False,
        **fields: Any,
    ) -> EntityT:
        data, origin = build_spec(
            self.spec_model, spec, file=file, overrides=overrides, fields=fields
        )
        with origin.located():
            return origin.locate_warnings(
                self._post(self.entity, self._path(workspace), data, dry_run)
            )

    def get(self, name: str, *, workspace: str | None = None) -> EntityT:
        return self._get(self.entity, self._path(workspace, name))

    def list(self, *, workspace: str | None = None) -> builtins.list[EntityT]:
        return self._list(self.entity, self._path(workspace))

    def _replace(
        self, name: str, spec: Any, file: str | Path | None, workspace: str | None, fields: Any
    ) -> EntityT:
        data, origin = build_spec(self.spec_model, spec, file=file, fields=fields)
        with origin.located():
            answer = self._client.request("PUT", self._path(workspace, name), json=data)
        return self.entity.model_validate(answer)


class DatastoreOperations(_NamedOperations[Datastore]):
    route = "datastores"
    spec_model = "DatastoreSpec"
    entity = Datastore

    def update(
        self,
        name: str,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        **fields: Any,
    ) -> Datastore:
        """Replace URL, description and tags (unset ones reset); data keeps its resolved URL."""
        return self._replace(name, spec, file, workspace, fields)


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
        dry_run: bool = False,
        **fields: Any,
    ) -> Any:
        """Register a new version from a YAML file, a spec, or keyword fields; with
        ``dry_run``, check it and answer what would be registered, storing nothing."""
        how = "dry_run" if dry_run else "create"
        args = (self.kind, self.spec_model, self.entity, spec, file, overrides, fields, how)
        return self._submit(workspace, *args)

    def get(self, reference: str, *, workspace: str | None = None) -> Any:
        """``name:version`` or ``name@latest`` (``azureml:`` prefix accepted)."""
        return self._get(self.entity, f"/workspaces/{self._ws(workspace)}/{self.route}/{reference}")

    def list(
        self,
        name: str | None = None,
        *,
        workspace: str | None = None,
        include_archived: bool = False,
    ) -> list[Any]:
        """All versions of ``name`` (newest first), or the latest version of every name;
        archived versions only with ``include_archived``."""
        return self._list(
            self.entity,
            f"/workspaces/{self._ws(workspace)}/{self.route}",
            name=name,
            include_archived=include_archived or None,
        )

    def archive(
        self, name: str, version: str | None = None, *, workspace: str | None = None
    ) -> builtins.list[Any]:
        """Archive one version of ``name``, or every version of it: hidden from ``list``
        and ``name@latest``, still found by ``name:version`` (so jobs and deployments that
        use it go on working). Returns the versions named, oldest first."""
        return self._set_archived("archive", name, version, workspace)

    def restore(
        self, name: str, version: str | None = None, *, workspace: str | None = None
    ) -> builtins.list[Any]:
        """Undo ``archive`` for one version of ``name``, or every version of it."""
        return self._set_archived("restore", name, version, workspace)

    def _set_archived(
        self, verb: str, name: str, version: str | None, workspace: str | None
    ) -> builtins.list[Any]:
        path = f"/workspaces/{self._ws(workspace)}/{self.route}/{name}/{verb}"
        params = None if version is None else {"version": version}
        answer = self._client.request("POST", path, params=params)
        return [self.entity.model_validate(item) for item in answer]


class _ShareableOperations(_VersionedOperations):
    """Versions that can be shared into a registry and read from it."""

    def get(
        self, reference: str, *, workspace: str | None = None, registry: str | None = None
    ) -> Any:
        """``name:version`` or ``name@latest`` (``azureml:`` prefix accepted); with
        ``registry``, a version shared into that registry."""
        if registry is not None:
            return self._get(self.entity, f"/registries/{registry}/{self.route}/{reference}")
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
            return self._list(self.entity, f"/registries/{registry}/{self.route}", name=name)
        return super().list(name, workspace=workspace, include_archived=include_archived)

    def share(
        self,
        reference: str,
        registry: str,
        *,
        share_with_name: str | None = None,
        share_with_version: str | None = None,
        workspace: str | None = None,
    ) -> Any:
        """Copy a version into ``registry``, from where any workspace uses it as
        ``azureml://registries/<registry>/<kind>s/<name>/versions/<version>``; a registry's
        versions are immutable."""
        body = {
            "registry": registry,
            "share_with_name": share_with_name,
            "share_with_version": share_with_version,
        }
        path = f"/workspaces/{self._ws(workspace)}/{self.route}/{reference}/share"
        return self._post(self.entity, path, {k: v for k, v in body.items() if v is not None})


class DataOperations(_VersionedOperations):
    kind, route, spec_model, entity = "data", "data", "DataSpec", DataAsset


class EnvironmentOperations(_ShareableOperations):
    kind, route, spec_model, entity = "environment", "environments", "EnvironmentSpec", Environment


class ComponentOperations(_ShareableOperations):
    kind, route, spec_model, entity = "component", "components", "ComponentSpec", Component
