"""Online deployments: a model (and optional scoring script) behind an endpoint.

Creating or updating a deployment provisions it before anything is stored: the model is
loaded, the scoring script's ``init()`` runs, the model's input example is scored, and an
ONNX conversion (``inference_runtime: onnx``) is verified against the original. A
deployment that cannot serve is refused with the reason, never half-created.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from opsloop.config import Settings
from opsloop.errors import ConflictError, NotFoundError
from opsloop.schemas.endpoints import OnlineDeployment
from opsloop.services import assets
from opsloop.services.components import require_uploaded
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import require_endpoint_row, touch
from opsloop.services.workspaces import require_workspace_row
from opsloop.serving.bundle import DeploymentBundle
from opsloop.serving.model_cache import local_copy
from opsloop.specs.endpoint import OnlineDeploymentSpec
from opsloop.store.tables import DeploymentRow, EndpointRow, WorkspaceRow, utcnow


def create_online_deployment(
    ctx: ServiceContext, workspace: str, spec: OnlineDeploymentSpec, *, all_traffic: bool = False
) -> OnlineDeployment:
    target = f"online-deployment:{spec.endpoint_name}/{spec.name}"
    ctx.begin_mutation("online_deployment.create", workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, spec.endpoint_name, lock=True)
    if _find(ctx, endpoint, spec.name) is not None:
        raise ConflictError(f"endpoint {spec.endpoint_name!r} already has deployment {spec.name!r}")
    row = DeploymentRow(endpoint_id=endpoint.id, name=spec.name, created_by=str(ctx.actor))
    _provision(ctx, ws, endpoint, row, spec)
    ctx.session.add(row)
    if all_traffic:
        endpoint.spec = {**endpoint.spec, "traffic": {spec.name: 100}, "mirror_traffic": {}}
    touch(endpoint)
    ctx.session.flush()
    ctx.record(
        "online_deployment.create",
        workspace=workspace,
        target=target,
        event_type="online_deployment.created",
        payload={"model": _model_reference(row), "all_traffic": all_traffic},
    )
    return to_entity(row, endpoint, workspace)


def update_online_deployment(
    ctx: ServiceContext, workspace: str, spec: OnlineDeploymentSpec
) -> OnlineDeployment:
    """Replace a deployment's spec (a new model version, settings); served without a gap."""
    target = f"online-deployment:{spec.endpoint_name}/{spec.name}"
    ctx.begin_mutation("online_deployment.update", workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, spec.endpoint_name, lock=True)
    row = require_deployment_row(ctx, endpoint, spec.name)
    previous = _model_reference(row)
    _provision(ctx, ws, endpoint, row, spec)
    row.updated_at = utcnow()
    touch(endpoint)
    ctx.record(
        "online_deployment.update",
        workspace=workspace,
        target=target,
        event_type="online_deployment.updated",
        payload={"model": _model_reference(row), "previous_model": previous},
    )
    return to_entity(row, endpoint, workspace)


def get_online_deployment(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str
) -> OnlineDeployment:
    ctx.authorize("online_deployment.read", workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name)
    return to_entity(require_deployment_row(ctx, endpoint, name), endpoint, workspace)


def list_online_deployments(
    ctx: ServiceContext, workspace: str, endpoint_name: str
) -> list[OnlineDeployment]:
    ctx.authorize("online_deployment.read", workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name)
    rows = ctx.session.scalars(
        select(DeploymentRow)
        .where(DeploymentRow.endpoint_id == endpoint.id)
        .order_by(DeploymentRow.name)
    )
    return [to_entity(row, endpoint, workspace) for row in rows]


def delete_online_deployment(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str
) -> None:
    target = f"online-deployment:{endpoint_name}/{name}"
    ctx.begin_mutation("online_deployment.delete", workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, lock=True)
    row = require_deployment_row(ctx, endpoint, name)
    for field in ("traffic", "mirror_traffic"):
        if endpoint.spec.get(field, {}).get(name, 0) > 0:
            raise ConflictError(
                f"deployment {name!r} takes {endpoint.spec[field][name]}% of {field.replace('_', ' ')}; "
                f"move it to another deployment first (online-endpoint update --traffic ...)"
            )
    ctx.session.delete(row)
    endpoint.spec = {
        field: {k: v for k, v in endpoint.spec.get(field, {}).items() if k != name}
        for field in ("traffic", "mirror_traffic")
    }
    touch(endpoint)
    ctx.record(
        "online_deployment.delete",
        workspace=workspace,
        target=target,
        event_type="online_deployment.deleted",
    )


def get_deployment_logs(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str, lines: int = 100
) -> str:
    """The last ``lines`` of what provisioning and the serving runtime logged."""
    ctx.authorize("online_deployment.read", workspace)
    ws = require_workspace_row(ctx, workspace)
    require_deployment_row(ctx, require_endpoint_row(ctx, ws, endpoint_name), name)
    path = deployment_log_path(ctx.settings, endpoint_name, name)
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def deployment_log_path(settings: Settings, endpoint: str, deployment: str) -> Path:
    return settings.resolved_home() / "endpoints" / endpoint / f"{deployment}.log"


def deployment_logger(settings: Settings, endpoint: str, deployment: str) -> logging.Logger:
    """A logger writing to the deployment's log file (what ``get-logs`` shows)."""
    logger = logging.getLogger(f"opsloop.deployments.{endpoint}.{deployment}")
    path = deployment_log_path(settings, endpoint, deployment)
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def deployment_bundle(settings: Settings, row: DeploymentRow) -> DeploymentBundle:
    """The deployment with local model and code folders, ready for the runtime."""
    cache = settings.resolved_home() / "serving" / "cache"
    return DeploymentBundle(
        name=row.name,
        spec=OnlineDeploymentSpec.model_validate(row.spec),
        model_name=row.model_name,
        model_version=row.model_version,
        model_type=row.model_type,
        model_dir=local_copy(row.model_url, cache, row.model_hash) if row.model_url else None,
        code_dir=local_copy(row.code_url, cache) if row.code_url else None,
        onnx_path=local_copy(row.onnx_url, cache) if row.onnx_url else None,
    )


def require_deployment_row(ctx: ServiceContext, endpoint: EndpointRow, name: str) -> DeploymentRow:
    row = _find(ctx, endpoint, name)
    if row is None:
        raise NotFoundError(f"endpoint {endpoint.name!r} has no deployment {name!r}")
    return row


def _provision(
    ctx: ServiceContext,
    ws: WorkspaceRow,
    endpoint: EndpointRow,
    row: DeploymentRow,
    spec: OnlineDeploymentSpec,
) -> None:
    """Resolve the model and code, prove the deployment can serve, then fill the row."""
    from opsloop.serving.provisioning import provision

    if spec.code_configuration is not None:
        require_uploaded(spec.code_configuration.code, field="code_configuration.code")
    stored = spec.model_dump(mode="json", exclude_none=True)
    if spec.model is not None:
        model = assets.resolve(ctx, ws, "model", spec.model, field="model")
        stored["model"] = f"{model.name}:{model.version}"
        row.model_name, row.model_version = model.name, model.version
        row.model_type, row.model_url, row.model_hash = model.type, model.path, model.content_hash
    else:
        row.model_name = row.model_version = row.model_type = row.model_url = row.model_hash = None
    row.code_url = spec.code_configuration.code if spec.code_configuration else None
    row.spec = stored
    row.onnx_url = None
    bundle = deployment_bundle(ctx.settings, row)
    logger = deployment_logger(ctx.settings, endpoint.name, spec.name)
    with tempfile.TemporaryDirectory(prefix="opsloop-provision-") as scratch:
        onnx_path = provision(bundle, Path(scratch), logger)
        if onnx_path is not None:
            key = f"endpoints/{endpoint.name}/{spec.name}/{row.model_hash or 'model'}/model.onnx"
            row.onnx_url = ctx.artifacts.put(onnx_path, key)
    row.provisioning_state = "Succeeded"


def _find(ctx: ServiceContext, endpoint: EndpointRow, name: str) -> DeploymentRow | None:
    return ctx.session.scalar(
        select(DeploymentRow).where(
            DeploymentRow.endpoint_id == endpoint.id, DeploymentRow.name == name
        )
    )


def _model_reference(row: DeploymentRow) -> str | None:
    return f"{row.model_name}:{row.model_version}" if row.model_name else None


def to_entity(row: DeploymentRow, endpoint: EndpointRow, workspace: str) -> OnlineDeployment:
    spec: dict[str, Any] = dict(row.spec)
    return OnlineDeployment(
        workspace=workspace,
        endpoint_name=endpoint.name,
        name=row.name,
        model=_model_reference(row),
        model_type=row.model_type,
        provisioning_state=row.provisioning_state,
        spec=spec,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )
