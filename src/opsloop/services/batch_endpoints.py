"""Batch endpoints: invoking one runs a job that scores a data asset in mini-batches.

The job is an ordinary command job running ``opsloop.serving.batch``, so status,
logs (with progress), cancel, MLflow metrics and outputs all work as for any job.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy import select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import (
    BatchDeploymentCreated,
    BatchDeploymentDeleted,
    BatchEndpointCreated,
    BatchEndpointDeleted,
)
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.schemas.endpoints import BatchDeployment, BatchEndpoint
from opsloop.schemas.entities import Job
from opsloop.services import assets, jobs
from opsloop.services.components import require_uploaded
from opsloop.services.context import ServiceContext
from opsloop.services.environments import pin_environment
from opsloop.services.online_endpoints import deployment_rows, require_endpoint_row, touch
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.base import DataType
from opsloop.specs.endpoint import BatchDeploymentSpec, BatchEndpointSpec
from opsloop.specs.job import CommandJobSpec, JobInput, JobOutput
from opsloop.store.tables import DeploymentRow, EndpointRow

ENDPOINT_TAG = "opsloop.batch_endpoint"
DEPLOYMENT_TAG = "opsloop.batch_deployment"


def create_batch_endpoint(
    ctx: ServiceContext, workspace: str, spec: BatchEndpointSpec
) -> BatchEndpoint:
    ctx.begin_mutation(Action.BATCH_ENDPOINTS_WRITE, workspace, f"batch-endpoint:{spec.name}")
    ws = require_workspace_row(ctx, workspace)
    taken = ctx.session.scalar(
        select(EndpointRow).where(EndpointRow.kind == "batch", EndpointRow.name == spec.name)
    )
    if taken is not None:
        raise ConflictError(f"batch endpoint {spec.name!r} already exists")
    row = EndpointRow(
        workspace_id=ws.id, kind="batch", name=spec.name, description=spec.description,
        tags=spec.tags, auth_mode=spec.auth_mode, spec={"defaults": spec.defaults},
        created_by=str(ctx.actor),
    )  # fmt: skip
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(
        Action.BATCH_ENDPOINTS_WRITE, workspace=workspace, target=f"batch-endpoint:{spec.name}",
        event=BatchEndpointCreated(),
    )  # fmt: skip
    return _endpoint_entity(ctx, row, workspace)


def get_batch_endpoint(ctx: ServiceContext, workspace: str, name: str) -> BatchEndpoint:
    ctx.authorize(Action.BATCH_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    return _endpoint_entity(ctx, require_endpoint_row(ctx, ws, name, kind="batch"), workspace)


def list_batch_endpoints(ctx: ServiceContext, workspace: str) -> list[BatchEndpoint]:
    ctx.authorize(Action.BATCH_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(EndpointRow)
        .where(EndpointRow.workspace_id == ws.id, EndpointRow.kind == "batch")
        .order_by(EndpointRow.name)
    )
    return [_endpoint_entity(ctx, row, workspace) for row in rows]


def delete_batch_endpoint(ctx: ServiceContext, workspace: str, name: str) -> None:
    ctx.begin_mutation(Action.BATCH_ENDPOINTS_DELETE, workspace, f"batch-endpoint:{name}")
    ws = require_workspace_row(ctx, workspace)
    ctx.session.delete(require_endpoint_row(ctx, ws, name, kind="batch", lock=True))
    ctx.record(
        Action.BATCH_ENDPOINTS_DELETE, workspace=workspace, target=f"batch-endpoint:{name}",
        event=BatchEndpointDeleted(),
    )  # fmt: skip


def create_batch_deployment(
    ctx: ServiceContext, workspace: str, spec: BatchDeploymentSpec, *, set_default: bool = False
) -> BatchDeployment:
    """Pin the model; the first deployment becomes the endpoint's default."""
    target = f"batch-deployment:{spec.endpoint_name}/{spec.name}"
    ctx.begin_mutation(Action.BATCH_DEPLOYMENTS_WRITE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, spec.endpoint_name, kind="batch", lock=True)
    if any(row.name == spec.name for row in deployment_rows(ctx, endpoint)):
        raise ConflictError(f"batch endpoint {spec.endpoint_name!r} already has {spec.name!r}")
    if spec.code_configuration is not None:
        require_uploaded(spec.code_configuration.code, field="code_configuration.code")
    model = assets.resolve(ctx, ws, "model", spec.model, field="model")
    if model.type == "custom_model" and spec.code_configuration is None:
        raise ValidationError(
            "a custom_model needs a code_configuration with a scoring script",
            field="code_configuration",
        )
    stored = spec.model_dump(mode="json", exclude_none=True) | {
        "model": assets.reference_to(ctx, model)
    }
    pin_environment(ctx, ws, stored)
    row = DeploymentRow(
        endpoint_id=endpoint.id, name=spec.name, spec=stored, model_name=model.name,
        model_version=model.version, model_type=model.type, model_url=model.path,
        model_hash=model.content_hash,
        code_url=spec.code_configuration.code if spec.code_configuration else None,
        created_by=str(ctx.actor),
    )  # fmt: skip
    ctx.session.add(row)
    if set_default or not endpoint.spec.get("defaults", {}).get("deployment_name"):
        endpoint.spec = {**endpoint.spec, "defaults": {"deployment_name": spec.name}}
    touch(endpoint)
    ctx.session.flush()
    ctx.record(
        Action.BATCH_DEPLOYMENTS_WRITE, workspace=workspace, target=target,
        event=BatchDeploymentCreated(model=stored["model"]),
    )  # fmt: skip
    return _deployment_entity(row, endpoint, workspace)


def list_batch_deployments(
    ctx: ServiceContext, workspace: str, endpoint_name: str
) -> list[BatchDeployment]:
    ctx.authorize(Action.BATCH_DEPLOYMENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, kind="batch")
    return [_deployment_entity(r, endpoint, workspace) for r in deployment_rows(ctx, endpoint)]


def get_batch_deployment(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str
) -> BatchDeployment:
    ctx.authorize(Action.BATCH_DEPLOYMENTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, kind="batch")
    return _deployment_entity(_require_deployment(ctx, endpoint, name), endpoint, workspace)


def delete_batch_deployment(
    ctx: ServiceContext, workspace: str, endpoint_name: str, name: str
) -> None:
    """The default deployment goes only when it is the last one, as in Azure ML."""
    target = f"batch-deployment:{endpoint_name}/{name}"
    ctx.begin_mutation(Action.BATCH_DEPLOYMENTS_DELETE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, kind="batch", lock=True)
    row = _require_deployment(ctx, endpoint, name)
    others = [d.name for d in deployment_rows(ctx, endpoint) if d.name != name]
    if endpoint.spec.get("defaults", {}).get("deployment_name") == name:
        if others:
            raise ConflictError(
                f"{name!r} is the default deployment of {endpoint_name!r}; make another the "
                "default first (batch-deployment create --set-default)"
            )
        endpoint.spec = {**endpoint.spec, "defaults": {}}
    ctx.session.delete(row)
    touch(endpoint)
    ctx.record(
        Action.BATCH_DEPLOYMENTS_DELETE, workspace=workspace, target=target,
        event=BatchDeploymentDeleted(),
    )  # fmt: skip


def _require_deployment(ctx: ServiceContext, endpoint: EndpointRow, name: str) -> DeploymentRow:
    row = next((r for r in deployment_rows(ctx, endpoint) if r.name == name), None)
    if row is None:
        raise NotFoundError(f"batch endpoint {endpoint.name!r} has no deployment {name!r}")
    return row


def invoke_batch_endpoint(
    ctx: ServiceContext,
    workspace: str,
    endpoint_name: str,
    *,
    input_path: str,
    input_type: DataType = "uri_folder",
    deployment_name: str | None = None,
) -> Job:
    """Submit the scoring job; the caller launches it once the transaction commits."""
    ctx.authorize(Action.BATCH_ENDPOINTS_INVOKE, workspace)
    ws = require_workspace_row(ctx, workspace)
    endpoint = require_endpoint_row(ctx, ws, endpoint_name, kind="batch")
    name = deployment_name or endpoint.spec.get("defaults", {}).get("deployment_name")
    deployment = next((r for r in deployment_rows(ctx, endpoint) if r.name == name), None)
    if deployment is None:
        raise ValidationError(
            f"batch endpoint {endpoint_name!r} has no deployment {name!r}"
            if name else f"batch endpoint {endpoint_name!r} has no deployments yet",
            field="deployment_name",
        )  # fmt: skip
    spec = BatchDeploymentSpec.model_validate(deployment.spec)
    inputs: dict[str, JobInput] = {
        "model": JobInput(type=deployment.model_type or "mlflow_model", path=spec.model),
        "input_data": JobInput(type=input_type, path=input_path),
        "settings": JobInput(type="uri_file", path=_settings_url(ctx, spec)),
    }
    command = (
        "python -m opsloop.serving.batch --model-dir ${{inputs.model}} "
        "--input ${{inputs.input_data}} --input-type " + input_type + " "
        "--output ${{outputs.predictions}} --settings ${{inputs.settings}}"
    )
    if deployment.code_url:
        inputs["code"] = JobInput(type="uri_folder", path=deployment.code_url)
        command += " --code-dir ${{inputs.code}}"
    job = CommandJobSpec(
        display_name=f"{endpoint_name}/{spec.name}",
        experiment_name=experiment_of(endpoint_name),
        command=command,
        inputs=dict(inputs),
        outputs={"predictions": JobOutput(type="uri_folder")},
        environment_variables=spec.environment_variables,
        tags={ENDPOINT_TAG: endpoint_name, DEPLOYMENT_TAG: spec.name},
    )
    return jobs.create_job(ctx, workspace, job)


def list_batch_jobs(ctx: ServiceContext, workspace: str, endpoint_name: str) -> list[Job]:
    ctx.authorize(Action.BATCH_ENDPOINTS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    require_endpoint_row(ctx, ws, endpoint_name, kind="batch")
    return [
        job
        for job in jobs.list_jobs(ctx, workspace, limit=1000)
        if job.experiment_name == experiment_of(endpoint_name)
    ]


def experiment_of(endpoint_name: str) -> str:
    """Every scoring job of a batch endpoint runs in this experiment."""
    return f"batch-{endpoint_name}"


def _settings_url(ctx: ServiceContext, spec: BatchDeploymentSpec) -> str:
    """The deployment's settings as a content-addressed file the job reads."""
    content = spec.model_dump_json().encode()
    digest = hashlib.sha256(content).hexdigest()
    with tempfile.TemporaryDirectory(prefix="opsloop-batch-") as scratch:
        path = Path(scratch) / "settings.json"
        path.write_bytes(content)
        return ctx.artifacts.put(path, f"batch-settings/{digest}/settings.json")


def _endpoint_entity(ctx: ServiceContext, row: EndpointRow, workspace: str) -> BatchEndpoint:
    return BatchEndpoint(
        workspace=workspace, name=row.name, description=row.description, tags=row.tags,
        auth_mode=row.auth_mode,
        default_deployment=row.spec.get("defaults", {}).get("deployment_name"),
        deployments=[d.name for d in deployment_rows(ctx, row)],
        created_at=row.created_at, created_by=row.created_by,
    )  # fmt: skip


def _deployment_entity(
    row: DeploymentRow, endpoint: EndpointRow, workspace: str
) -> BatchDeployment:
    return BatchDeployment(
        workspace=workspace, endpoint_name=endpoint.name, name=row.name,
        model=str(row.spec.get("model") or f"{row.model_name}:{row.model_version}"),
        spec=dict(row.spec),
        created_at=row.created_at, created_by=row.created_by,
    )  # fmt: skip
