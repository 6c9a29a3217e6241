"""What the serving runtime runs: an endpoint and its deployments, with local model folders.

A bundle is the runtime's only input. The store builds one from the database (and
rebuilds it when anything changes); ``read_bundle`` builds one from a folder written by
``write_bundle``, which is what an exported container image holds. Secrets never go into
a bundle folder: a container gets its keys from the environment.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from opsloop.errors import ValidationError
from opsloop.specs.endpoint import OnlineDeploymentSpec, OnlineEndpointSpec

BUNDLE_FILE = "endpoint.json"
KEYS_ENV = "OPSLOOP_ENDPOINT_KEYS"  # "primary,secondary"
TOKEN_SECRET_ENV = "OPSLOOP_ENDPOINT_TOKEN_SECRET"


@dataclass(frozen=True)
class DeploymentBundle:
    name: str
    spec: OnlineDeploymentSpec
    model_name: str | None = None
    model_version: str | None = None
    model_type: str | None = None  # mlflow_model | custom_model
    model_dir: Path | None = None
    code_dir: Path | None = None
    onnx_path: Path | None = None
    # The secret values its environment variables were given (${{secrets.NAME}}), masked
    # in its log; never written to a bundle folder.
    masked: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointBundle:
    workspace: str
    name: str
    spec: OnlineEndpointSpec
    deployments: dict[str, DeploymentBundle]
    keys: tuple[str, ...] = ()
    token_secret: str | None = None
    # Changes whenever the endpoint or a deployment changes; the runtime reloads on change.
    revision: str = "0"
    # fsspec URL under which the data collector writes (the workspace datastore).
    collector_root: str | None = None
    scoring_uri: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def write_bundle(bundle: EndpointBundle, destination: Path) -> Path:
    """Copy the models and code into ``destination`` and describe them in endpoint.json."""
    destination.mkdir(parents=True, exist_ok=True)
    described: dict[str, dict[str, object]] = {}
    for name, deployment in bundle.deployments.items():
        folder = destination / "deployments" / name
        folder.mkdir(parents=True, exist_ok=True)
        entry: dict[str, object] = {
            "spec": deployment.spec.model_dump(mode="json", exclude_none=True),
            "model_name": deployment.model_name,
            "model_version": deployment.model_version,
            "model_type": deployment.model_type,
        }
        if deployment.model_dir is not None:
            _copy(deployment.model_dir, folder / "model")
            entry["model_dir"] = "model"
        if deployment.code_dir is not None:
            _copy(deployment.code_dir, folder / "code")
            entry["code_dir"] = "code"
        if deployment.onnx_path is not None:
            shutil.copy2(deployment.onnx_path, folder / "model.onnx")
            entry["onnx_path"] = "model.onnx"
        described[name] = entry
    document = {
        "workspace": bundle.workspace,
        "name": bundle.name,
        "spec": bundle.spec.model_dump(mode="json", exclude_none=True),
        "revision": bundle.revision,
        "deployments": described,
    }
    (destination / BUNDLE_FILE).write_text(json.dumps(document, indent=2))
    return destination


def read_bundle(source: Path) -> EndpointBundle:
    """Load a bundle folder; keys come from OPSLOOP_ENDPOINT_KEYS, never from the folder."""
    path = source / BUNDLE_FILE
    if not path.is_file():
        raise ValidationError(f"{source} holds no {BUNDLE_FILE}", field="bundle")
    document = json.loads(path.read_text())
    deployments = {}
    for name, entry in document["deployments"].items():
        folder = source / "deployments" / name
        deployments[name] = DeploymentBundle(
            name=name,
            spec=OnlineDeploymentSpec.model_validate(entry["spec"]),
            model_name=entry.get("model_name"),
            model_version=entry.get("model_version"),
            model_type=entry.get("model_type"),
            model_dir=folder / entry["model_dir"] if entry.get("model_dir") else None,
            code_dir=folder / entry["code_dir"] if entry.get("code_dir") else None,
            onnx_path=folder / entry["onnx_path"] if entry.get("onnx_path") else None,
        )
    keys = tuple(key for key in os.environ.get(KEYS_ENV, "").split(",") if key)
    return EndpointBundle(
        workspace=document["workspace"],
        name=document["name"],
        spec=OnlineEndpointSpec.model_validate(document["spec"]),
        deployments=deployments,
        keys=keys,
        token_secret=os.environ.get(TOKEN_SECRET_ENV),
        revision=str(document.get("revision", "0")),
        collector_root=os.environ.get("OPSLOOP_COLLECTOR_ROOT"),
    )


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
