"""SDK operations for online endpoints and deployments."""

from __future__ import annotations

import builtins
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from opsloop.client._feedback import read_feedback_file
from opsloop.client._resources import _NamedOperations, _Operations, build_spec
from opsloop.errors import OpsloopError, RemoteError, ValidationError
from opsloop.schemas.endpoints import (
    EndpointCredentials,
    OnlineDeployment,
    OnlineEndpoint,
    RequestLogEntry,
    TrafficChange,
)
from opsloop.schemas.feedback import MAX_FEEDBACK_ROWS, FeedbackReceipt
from opsloop.specs.endpoint import OnlineDeploymentSpec, OnlineEndpointSpec

if TYPE_CHECKING:
    # Imported where used: the spec resolver (YAML loader, every spec and event model) and
    # the export installer are for create and export, and an ``invoke`` should not pay
    # for them (a seventh of its CPU).
    from opsloop.client._resolve import Origin
    from opsloop.export.install import ExportFormat, ExportResult

# What an endpoint update can change (auth_mode only to the value it already has).
_UPDATABLE = ("traffic", "mirror_traffic", "description", "tags", "auth_mode")


class OnlineEndpointOperations(_NamedOperations[OnlineEndpoint]):
    """``create`` makes an endpoint (``auth_mode`` key by default); traffic is set later."""

    route = "online-endpoints"
    spec_model = OnlineEndpointSpec
    entity = OnlineEndpoint

    def update(
        self,
        name: str | None = None,
        *,
        file: str | Path | None = None,
        overrides: builtins.list[str] | None = None,
        traffic: dict[str, int] | None = None,
        mirror_traffic: dict[str, int] | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        workspace: str | None = None,
    ) -> OnlineEndpoint:
        """Change the traffic split (e.g. ``{"blue": 90, "green": 10}``), mirror traffic,
        description or tags. From a spec file, the keys it has are applied (a file without
        ``traffic`` leaves the split alone); ``overrides`` (``traffic.blue=90``) apply to the
        file, or to the endpoint's current settings when there is no file."""
        given = {
            "traffic": traffic, "mirror_traffic": mirror_traffic,
            "description": description, "tags": tags,
        }  # fmt: skip
        base: dict[str, Any] | None = None
        revision: int | None = None
        if file is None:
            if name is None:
                raise OpsloopError("name the endpoint to update, or give its spec file")
            if not overrides:
                changed = {k: v for k, v in given.items() if v is not None}
                return self._patch(name, changed, workspace)
            current = self.get(name, workspace=workspace)
            base = current.model_dump(include={"name", *_UPDATABLE})
            revision = current.revision  # the server refuses the change if it moved on
        data, _ = build_spec(
            OnlineEndpointSpec, base, file=file, overrides=overrides, fields={"name": name, **given}
        )
        body = {key: data[key] for key in _UPDATABLE if key in data}
        if revision is not None:
            body["revision"] = revision
        return self._patch(data["name"], body, workspace)

    def _patch(self, name: str, body: dict[str, Any], workspace: str | None) -> OnlineEndpoint:
        answer = self._client.request("PATCH", self._path(workspace, name), json=body)
        return OnlineEndpoint.model_validate(answer)

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        self._client.request("DELETE", self._path(workspace, name))

    def get_credentials(self, name: str, *, workspace: str | None = None) -> EndpointCredentials:
        """Keys (key auth) or a token valid for an hour (token auth)."""
        return self._post(EndpointCredentials, f"{self._path(workspace, name)}/credentials", {})

    def regenerate_keys(
        self, name: str, *, key_type: str = "primary", workspace: str | None = None
    ) -> EndpointCredentials:
        path = f"{self._path(workspace, name)}/regenerate-keys"
        return self._post(EndpointCredentials, path, {"key_type": key_type})

    def history(self, name: str, *, workspace: str | None = None) -> builtins.list[TrafficChange]:
        """Every traffic split the endpoint had, oldest first, with the models then serving
        and who (or which promotion) changed it."""
        return self._list(TrafficChange, f"{self._path(workspace, name)}/history")

    def rollback(self, name: str, *, workspace: str | None = None) -> OnlineEndpoint:
        """Restore the traffic split the endpoint had before its last change."""
        return self._post(OnlineEndpoint, f"{self._path(workspace, name)}/rollback", {})

    def request_logs(
        self,
        name: str,
        *,
        deployment: str | None = None,
        status_code: int | None = None,
        limit: int = 100,
        workspace: str | None = None,
    ) -> builtins.list[RequestLogEntry]:
        """The traffic log, newest first."""
        return self._list(
            RequestLogEntry, f"{self._path(workspace, name)}/request-logs",
            deployment=deployment, status_code=status_code, limit=limit,
        )  # fmt: skip

    def feedback(
        self,
        name: str,
        rows: Iterable[Mapping[str, Any]] | None = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
    ) -> builtins.list[FeedbackReceipt]:
        """Post ground truth for scored requests: rows of ``correlation_id`` (the answer's
        ``x-request-id``), ``ground_truth`` and optional ``row_index``, given as ``rows`` or
        as a ``.jsonl``/``.csv`` file; sent in posts of at most 10,000 rows (one receipt
        each). ``model_performance`` monitors without a ground-truth data asset read it."""
        if (rows is None) == (file is None):
            raise ValidationError("give rows or a file of them, not both", field="file")
        given = [dict(r) for r in rows] if rows is not None else read_feedback_file(file or "")
        if not given:
            raise ValidationError("no rows to send", field="file")
        path = f"{self._path(workspace, name)}/feedback"
        return [
            FeedbackReceipt.model_validate(
                self._client.request("POST", path, json=given[start : start + MAX_FEEDBACK_ROWS])
            )
            for start in range(0, len(given), MAX_FEEDBACK_ROWS)
        ]

    def export(
        self,
        name: str,
        fmt: ExportFormat,
        destination: str | Path,
        *,
        image_registry: str | None = None,
        workspace: str | None = None,
    ) -> ExportResult:
        """Dockerfiles and Kubernetes (``k8s``) or KServe (``kserve``) manifests, written
        into ``destination``. The server builds them (it has the model files); an earlier
        export in ``destination`` is replaced, other files there are left alone."""
        from opsloop.export.install import (
            EXPORT_HEADER,
            ExportResult,
            check_destination,
            install_export,
        )

        target = Path(destination)
        check_destination(target, ())  # before the download: a file is not a destination
        body = {"format": fmt, "image_registry": image_registry}
        with tempfile.TemporaryDirectory(prefix="opsloop-export-") as scratch:
            staged = Path(scratch) / "export"
            headers = self._download_folder(
                f"{self._path(workspace, name)}/export", staged, method="POST", json=body
            )
            files = install_export(staged, target)
        summary = orjson.loads(headers.get(EXPORT_HEADER, "{}"))
        return ExportResult(
            target,
            fmt,
            files,
            summary.get("images", {}),
            tuple(summary.get("notes", ())),
        )

    def invoke(
        self,
        name: str,
        *,
        request_file: str | Path | None = None,
        body: Any = None,
        deployment_name: str | None = None,
        route: str = "/score",
        workspace: str | None = None,
    ) -> Any:
        """Score a request and return the decoded answer.

        Remote: over HTTP to ``<server>/endpoints/<name><route>`` with the endpoint's key
        or token. Embedded: the same path, answered by the serving runtime in-process.
        """
        content = _body_bytes(request_file, body)
        credentials = self.get_credentials(name, workspace=workspace)
        secret = credentials.primary_key or credentials.access_token or ""
        headers = {"authorization": f"Bearer {secret}", "content-type": "application/json"}
        if deployment_name:
            headers["opsloop-model-deployment"] = deployment_name
        response = self._client._transport.score(f"/endpoints/{name}{route}", content, headers)
        if response.status_code >= 400:
            raise RemoteError(_detail(response), response.status_code)
        return response.json()


def _body_bytes(request_file: str | Path | None, body: Any) -> bytes:
    if request_file is not None:
        path = Path(request_file)
        if not path.is_file():
            raise OpsloopError(f"request file {str(path)!r} does not exist")
        content = path.read_bytes()
        try:  # the request is JSON: say which file is not, rather than the server's words
            orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(
                f"the request is not valid JSON: {exc.msg}", file=str(path), line=exc.lineno
            ) from None
        return content
    if body is None:
        raise OpsloopError("give a request file or a body to score")
    return (
        body if isinstance(body, bytes) else orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    )


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text)
    except ValueError:
        return response.text[:500]


class OnlineDeploymentOperations(_Operations):
    def _path(self, workspace: str | None, endpoint: str, name: str = "") -> str:
        base = f"/workspaces/{self._ws(workspace)}/online-endpoints/{endpoint}/deployments"
        return f"{base}/{name}" if name else base

    def _spec(
        self,
        spec: Any,
        file: Any,
        overrides: Any,
        fields: dict[str, Any],
        workspace: str | None,
        dry_run: bool = False,
    ) -> tuple[dict[str, Any], Origin]:
        data, origin = build_spec(
            OnlineDeploymentSpec, spec, file=file, overrides=overrides, fields=fields
        )
        from opsloop.client._resolve import HashingResolver, Resolver

        self._client._upload_workspace = self._ws(workspace)
        resolver = HashingResolver() if dry_run else Resolver(self._client._upload)
        data = resolver.deployment(data, origin)
        origin.validate(OnlineDeploymentSpec, data)
        return data, origin

    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        all_traffic: bool = False,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        dry_run: bool = False,
        **fields: Any,
    ) -> OnlineDeployment:
        """Provision a deployment (the model is loaded and checked before it is stored).
        With ``dry_run``: resolved, checked and answered; nothing uploaded, provisioned or
        stored."""
        data, origin = self._spec(spec, file, overrides, fields, workspace, dry_run)
        params = {"all_traffic": "true"} if all_traffic else {}
        if dry_run:
            params["dry_run"] = "true"
        with origin.located():
            answer = self._client.request(
                "POST",
                self._path(workspace, data["endpoint_name"]),
                json=data,
                params=params or None,
            )
        return OnlineDeployment.model_validate(answer)

    def update(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> OnlineDeployment:
        """Change a deployment, e.g. roll a new model version.

        With a file or a spec, that spec replaces the deployment's. With neither, the
        deployment's current spec is the base and only the given fields and overrides
        change (as ``az ml online-deployment update --set`` does)."""
        params = None
        if spec is None and file is None:
            spec, revision = self._current_spec(fields, workspace)
            params = {"endpoint_revision": revision}  # refused if the endpoint moved on
        data, origin = self._spec(spec, file, overrides, fields, workspace)
        path = self._path(workspace, data["endpoint_name"], data["name"])
        with origin.located():
            answer = self._client.request("PUT", path, json=data, params=params)
        return OnlineDeployment.model_validate(answer)

    def get(
        self, name: str, *, endpoint_name: str, workspace: str | None = None
    ) -> OnlineDeployment:
        return self._get(OnlineDeployment, self._path(workspace, endpoint_name, name))

    def _current_spec(
        self, fields: dict[str, Any], workspace: str | None
    ) -> tuple[dict[str, Any], int]:
        """The deployment's spec and the endpoint's revision read before it (any change in
        between reads as a conflict, never as a lost update)."""
        name, endpoint_name = fields.get("name"), fields.get("endpoint_name")
        if not name or not endpoint_name:
            raise OpsloopError(
                "name the deployment to update (name and endpoint_name), or give its spec file"
            )
        revision = self._client.online_endpoints.get(endpoint_name, workspace=workspace).revision
        current = self.get(name, endpoint_name=endpoint_name, workspace=workspace)
        return dict(current.spec), revision

    def list(self, *, endpoint_name: str, workspace: str | None = None) -> list[OnlineDeployment]:
        return self._list(OnlineDeployment, self._path(workspace, endpoint_name))

    def delete(self, name: str, *, endpoint_name: str, workspace: str | None = None) -> None:
        self._client.request("DELETE", self._path(workspace, endpoint_name, name))

    def get_logs(
        self, name: str, *, endpoint_name: str, lines: int = 100, workspace: str | None = None
    ) -> str:
        path = f"{self._path(workspace, endpoint_name, name)}/logs"
        return str(self._client.request("GET", path, params={"lines": lines}, raw=True))
