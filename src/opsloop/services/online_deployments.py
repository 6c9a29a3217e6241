"""Online deployments: a model (and optional scoring script) behind an endpoint.

Creating or updating a deployment provisions it before anything is stored: the model is
loaded, the scoring script's ``init()`` runs, the model's input example is scored, and the
runtime is chosen (``inference_runtime``: under ``auto``, the default, an ONNX conversion
that predicts the same as the original on the input example; see ``scoring.runtime_choice``)
and recorded with its reason. A
deployment that cannot serve is refused with the reason, never half-created. Provisioning
runs between two transactions (see ``DeploymentDraft``), so no lock is held while a model
loads.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import (
    EventPayload,
    OnlineDeploymentCreated,
    OnlineDeploymentDeleted,
    OnlineDeploymentUpdated,
)
from opsloop.config import Settings
from opsloop.errors import ConflictError, NotFoundError
from opsloop.schemas.endpoints import OnlineDeployment
from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.model_cache import local_copy
from opsloop.security.actor import Actor
from opsloop.security.log_masking import mask_logger
from opsloop.security.secret_references import referenced_names, substitute
from opsloop.services import assets, vault
from opsloop.services.components import require_uploaded
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.environments import pin_environment
from opsloop.services.online_endpoints import require_endpoint_row, require_revision, touch
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.endpoint import OnlineDeploymentSpec
from opsloop.store.tables import DeploymentRow, EndpointRow, WorkspaceRow, utcnow


@dataclass
class DeploymentDraft:
    """A deployment resolved against the store (model, code, spec) but not stored yet.

    Creating or updating a deployment takes three steps, so that the slow one holds no
    database lock: ``draft_online_deployment`` (a transaction that only reads), then
    ``provision_online_deployment`` (no transaction: load, init(), the input example, the
    ONNX conversion), then ``create_online_deployment`` or ``update_online_deployment``
    (a transaction that stores what was proven)."""

    workspace: str
    endpoint: str
    action: Action
    target: str
    row: DeploymentRow  # transient: never added to a session until it is stored
    endpoint_revision: int | None = None  # what an update was worked out from, if given
    # The values of the secrets its environment variables refer to, for provisioning.
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)


def draft_online_deployment(
    ctx: ServiceContext,
    workspace: str,
    spec: OnlineDeploymentSpec,
    *,
    creating: bool,
    endpoint_revision: int | None = None,
) -> DeploymentDraft:
    action = Action.ONLINE_DEPLOYMENTS_WRITE
    target = f"online-deployment:{spec.endpoint_name}/{spec.name}"
    ctx.begin_mutation(action, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, spec.endpoint_name)
    require_revision(endpoint, endpoint_revision)
    if creating:
        _require_absent(ctx, endpoint, spec.name)
    else:
        require_deployment_row(ctx, endpoint, spec.name)
    row = DeploymentRow(name=spec.name)
    _resolve(ctx, ws, row, spec)
    variables = spec.environment_variables
    vault.check_references(ctx, ws, {f"environment_variables.{k}": v for k, v in variables.items()})
    names = [n for value in variables.values() for n in referenced_names(value)]
    secrets = vault.open_references(
        ctx.session, ctx.platform.secret_box, ws.id, names, user=f"deployment {spec.name!r}"
    )
    return DeploymentDraft(
        workspace=workspace, endpoint=spec.endpoint_name, action=action, target=target, row=row,
        endpoint_revision=endpoint_revision, secrets=secrets,
    )  # fmt: skip


def deploy_online_deployment(
    platform: Platform,
    actor: Actor,
    workspace: str,
    spec: OnlineDeploymentSpec,
    *,
    creating: bool,
    all_traffic: bool = False,
    endpoint_revision: int | None = None,
    dry_run: bool = False,
) -> OnlineDeployment:
    """Create or update a deployment: the one workflow every caller uses (the API, and
    later promotions and rollbacks). Resolve in one transaction, provision with none open
    (loading a model can take seconds, and SQLite would hold its write lock all that
    time), then store what was proven in a second transaction.

    ``dry_run``: resolve and check it, and answer what would be stored, in one transaction
    rolled back; nothing is provisioned (no model loaded, no file written, no process)."""
    if dry_run:
        with platform.context(actor, dry_run=True) as ctx:
            draft = draft_online_deployment(
                ctx, workspace, spec, creating=creating, endpoint_revision=endpoint_revision
            )
            draft.row.provisioning_state = "NotProvisioned"  # what the answer says it is
            if creating:
                return create_online_deployment(ctx, draft, all_traffic=all_traffic)
            return update_online_deployment(ctx, draft)
    with platform.context(actor) as ctx:
        draft = draft_online_deployment(
            ctx, workspace, spec, creating=creating, endpoint_revision=endpoint_revision
        )
    with platform.between_transactions(actor, draft.action, workspace, draft.target):
        provision_online_deployment(platform, draft)
    with platform.context(actor) as ctx:
        if creating:
            return create_online_deployment(ctx, draft, all_traffic=all_traffic)
        return update_online_deployment(ctx, draft)


def provision_online_deployment(platform: Platform, draft: DeploymentDraft) -> None:
    """Prove the draft can serve, and keep the runtime chosen for it (and its verified ONNX
    file); outside any transaction."""
    from opsloop.scoring.provisioning import provision

    row, endpoint = draft.row, draft.endpoint
    bundle = deployment_bundle(platform.settings, row, draft.secrets)
    logger = deployment_logger(platform.settings, endpoint, row.name)
    mask_logger(logger, bundle.masked)
    with tempfile.TemporaryDirectory(prefix="opsloop-provision-") as scratch:
        choice = provision(bundle, Path(scratch), logger)
        if choice.onnx_path is not None:
            key = f"endpoints/{endpoint}/{row.name}/{row.model_hash or 'model'}/model.onnx"
            row.onnx_url = platform.artifacts.put(choice.onnx_path, key)
    row.runtime, row.runtime_reason = choice.runtime, choice.reason
    row.provisioning_state = "Succeeded"


def create_online_deployment(
    ctx: ServiceContext, draft: DeploymentDraft, *, all_traffic: bool = False
) -> OnlineDeployment:
    """Store a provisioned draft as a new deployment (optionally with all the traffic)."""
    endpoint = _lock_endpoint(ctx, draft)
    row = draft.row
    _require_absent(ctx, endpoint, row.name)  # again: another call may have been faster
    row.endpoint_id, row.created_by = endpoint.id, str(ctx.actor)
    ctx.session.add(row)
    if all_traffic:
        endpoint.spec = {**endpoint.spec, "traffic": {row.name: 100}, "mirror_traffic": {}}
    touch(endpoint)
    ctx.session.flush()
    created = OnlineDeploymentCreated(
        model=_model_reference(row), all_traffic=all_traffic, instance_count=_instances(row)
    )
    _record(ctx, draft, created)
    return to_entity(row, endpoint, draft.workspace)


def update_online_deployment(ctx: ServiceContext, draft: DeploymentDraft) -> OnlineDeployment:
    """Replace a deployment's spec with a provisioned draft; served without a gap."""
    endpoint = _lock_endpoint(ctx, draft)
    require_revision(endpoint, draft.endpoint_revision)  # again: provisioning took a while
    row = require_deployment_row(ctx, endpoint, draft.row.name)
    previous = _model_reference(row)
    for name in _PROVISIONED_FIELDS:
        setattr(row, name, getattr(draft.row, name))
    row.updated_at = utcnow()
    touch(endpoint)
    updated = OnlineDeploymentUpdated(
        model=_model_reference(row), previous_model=previous, instance_count=_instances(row)
    )
    _record(ctx, draft, updated)
    return to_entity(row, endpoint, draft.workspace)


def _lock_endpoint(ctx: ServiceContext, draft: DeploymentDraft) -> EndpointRow:
    ctx.begin_mutation(draft.action, draft.workspace, draft.target)
    ws = require_workspace_row(ctx, draft.workspace)
    return require_endpoint_row(ctx, ws, draft.endpoint, lock=True)


def _instances(row: DeploymentRow) -> int:
    return int(row.spec.get("instance_count") or 1)


def _record(ctx: ServiceContext, draft: DeploymentDraft, event: EventPayload) -> None:
    ctx.record(draft.action, workspace=draft.workspace, target=draft.target, event=event)


def get_online_deployment(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str
) -> OnlineDeployment:
    ctx.authorize(Action.ONLINE_DEPLOYMENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name)
    return to_entity(require_deployment_row(ctx, endpoint, name), endpoint, workspace)


def list_online_deployments(
    ctx: ServiceContext, workspace: str, endpoint_name: str
) -> list[OnlineDeployment]:
    ctx.authorize(Action.ONLINE_DEPLOYMENTS_READ, workspace)
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
    ctx.begin_mutation(Action.ONLINE_DEPLOYMENTS_DELETE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, lock=True)
    row = require_deployment_row(ctx, endpoint, name)
    for field in ("traffic", "mirror_traffic"):
        if endpoint.spec.get(field, {}).get(name, 0) > 0:
            option = field.replace("_", "-")
            raise ConflictError(
                f"deployment {name!r} takes {endpoint.spec[field][name]}% of {field.replace('_', ' ')}; "
                f"move it to another deployment first (online-endpoint update --{option} ...)"
            )
    ctx.session.delete(row)
    endpoint.spec = {
        field: {k: v for k, v in endpoint.spec.get(field, {}).items() if k != name}
        for field in ("traffic", "mirror_traffic")
    }
    touch(endpoint)
    ctx.record(
        Action.ONLINE_DEPLOYMENTS_DELETE,
        workspace=workspace,
        target=target,
        event=OnlineDeploymentDeleted(),
    )


def get_deployment_logs(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str, lines: int = 100
) -> str:
    """The last ``lines`` of what provisioning and the serving runtime logged, also for a
    deployment that was refused (never stored), so its log says why."""
    ctx.authorize(Action.ONLINE_DEPLOYMENTS_LOGS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name)
    path = deployment_log_path(ctx.settings, endpoint_name, name)
    if not path.is_file():
        if _find(ctx, endpoint, name) is None:
            raise NotFoundError(
                f"endpoint {endpoint_name!r} has no deployment {name!r} and no log of one"
            )
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


def deployment_bundle(
    settings: Settings, row: DeploymentRow, secrets: Mapping[str, str] | None = None
) -> DeploymentBundle:
    """The deployment with local model and code folders, ready for the runtime. With
    ``secrets`` (name -> value), its environment variables' references are replaced by
    their values; without (an export), they are kept as written."""
    cache = settings.resolved_home() / "serving" / "cache"
    spec = OnlineDeploymentSpec.model_validate(row.spec)
    variables = spec.environment_variables
    used = {n for value in variables.values() for n in referenced_names(value)}
    if secrets is not None and used:
        given = {k: substitute(v, secrets) for k, v in variables.items()}
        spec = spec.model_copy(update={"environment_variables": given})
    return DeploymentBundle(
        name=row.name,
        spec=spec,
        masked=tuple(secrets[n] for n in sorted(used)) if secrets is not None else (),
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


_PROVISIONED_FIELDS = (
    "model_name", "model_version", "model_type", "model_url", "model_hash", "code_url", "spec",
    "onnx_url", "runtime", "runtime_reason", "provisioning_state",
)  # fmt: skip


def _resolve(
    ctx: ServiceContext, ws: WorkspaceRow, row: DeploymentRow, spec: OnlineDeploymentSpec
) -> None:
    """Fill the row with the resolved model and code (provisioning fills the rest)."""
    if spec.code_configuration is not None:
        require_uploaded(spec.code_configuration.code, field="code_configuration.code")
    stored = spec.model_dump(mode="json", exclude_none=True)
    if spec.model is not None:
        model = assets.resolve(ctx, ws, "model", spec.model, field="model")
        stored["model"] = assets.reference_to(ctx, model)
        row.model_name, row.model_version = model.name, model.version
        row.model_type, row.model_url, row.model_hash = model.type, model.path, model.content_hash
    else:
        row.model_name = row.model_version = row.model_type = row.model_url = row.model_hash = None
    pin_environment(ctx, ws, stored)
    row.code_url = spec.code_configuration.code if spec.code_configuration else None
    row.spec = stored
    row.onnx_url = row.runtime = row.runtime_reason = None


def _require_absent(ctx: ServiceContext, endpoint: EndpointRow, name: str) -> None:
    if _find(ctx, endpoint, name) is not None:
        raise ConflictError(f"endpoint {endpoint.name!r} already has deployment {name!r}")


def _find(ctx: ServiceContext, endpoint: EndpointRow, name: str) -> DeploymentRow | None:
    return ctx.session.scalar(
        select(DeploymentRow).where(
            DeploymentRow.endpoint_id == endpoint.id, DeploymentRow.name == name
        )
    )


def _model_reference(row: DeploymentRow) -> str | None:
    """``name:version``, or the registry URI of a registry's model, as resolved."""
    if not row.model_name:
        return None
    return str(row.spec.get("model") or f"{row.model_name}:{row.model_version}")


def to_entity(row: DeploymentRow, endpoint: EndpointRow, workspace: str) -> OnlineDeployment:
    spec: dict[str, Any] = dict(row.spec)
    return OnlineDeployment(
        workspace=workspace,
        endpoint_name=endpoint.name,
        name=row.name,
        model=_model_reference(row),
        model_type=row.model_type,
        provisioning_state=row.provisioning_state,
        runtime=row.runtime,
        runtime_reason=row.runtime_reason,
        spec=spec,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )
