"""Batch endpoints: create, deploy, invoke (a scoring job), list their jobs."""

from __future__ import annotations

from fastapi import APIRouter

from opsloop.api.deps import (
    DRY_RUN_RESPONSES,
    ActorDep,
    DryRun,
    PlatformDep,
    require_path_match,
)
from opsloop.schemas.endpoint_requests import BatchInvocation
from opsloop.schemas.endpoints import BatchDeployment, BatchEndpoint
from opsloop.schemas.entities import Job
from opsloop.services import batch_endpoints
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.specs.endpoint import BatchDeploymentSpec, BatchEndpointSpec

router = APIRouter(prefix="/workspaces/{workspace}/batch-endpoints", tags=["batch endpoints"])


@router.post("", status_code=201, responses=DRY_RUN_RESPONSES)
def create_endpoint(
    workspace: str, spec: BatchEndpointSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> BatchEndpoint:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return batch_endpoints.create_batch_endpoint(ctx, workspace, spec)


@router.get("")
def list_endpoints(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[BatchEndpoint]:
    with platform.context(actor) as ctx:
        return batch_endpoints.list_batch_endpoints(ctx, workspace)


@router.get("/{name}")
def get_endpoint(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> BatchEndpoint:
    with platform.context(actor) as ctx:
        return batch_endpoints.get_batch_endpoint(ctx, workspace, name)


@router.delete("/{name}", status_code=204)
def delete_endpoint(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> None:
    with platform.context(actor) as ctx:
        batch_endpoints.delete_batch_endpoint(ctx, workspace, name)


@router.post("/{name}/deployments", status_code=201, responses=DRY_RUN_RESPONSES)
def create_deployment(
    workspace: str,
    name: str,
    spec: BatchDeploymentSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
    set_default: bool = False,
) -> BatchDeployment:
    require_path_match(spec.endpoint_name, name, field="endpoint_name", noun="endpoint")
    if dry_run:  # its code was hashed by the client, not uploaded
        spec = with_upload_urls(platform.artifacts, spec)
    with platform.context(actor, dry_run=dry_run) as ctx:
        return batch_endpoints.create_batch_deployment(
            ctx, workspace, spec, set_default=set_default
        )


@router.get("/{name}/deployments")
def list_deployments(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> list[BatchDeployment]:
    with platform.context(actor) as ctx:
        return batch_endpoints.list_batch_deployments(ctx, workspace, name)


@router.get("/{name}/deployments/{deployment}")
def get_deployment(
    workspace: str, name: str, deployment: str, platform: PlatformDep, actor: ActorDep
) -> BatchDeployment:
    with platform.context(actor) as ctx:
        return batch_endpoints.get_batch_deployment(ctx, workspace, name, deployment)


@router.delete("/{name}/deployments/{deployment}", status_code=204)
def delete_deployment(
    workspace: str, name: str, deployment: str, platform: PlatformDep, actor: ActorDep
) -> None:
    with platform.context(actor) as ctx:
        batch_endpoints.delete_batch_deployment(ctx, workspace, name, deployment)


@router.post("/{name}/invoke", status_code=201)
def invoke(
    workspace: str,
    name: str,
    body: BatchInvocation,
    platform: PlatformDep,
    actor: ActorDep,
) -> Job:
    with platform.context(actor) as ctx:
        return batch_endpoints.invoke_batch_endpoint(
            ctx, workspace, name, input_path=body.input, input_type=body.input_type,
            deployment_name=body.deployment_name,
        )  # fmt: skip


@router.get("/{name}/jobs")
def list_jobs(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> list[Job]:
    with platform.context(actor) as ctx:
        return batch_endpoints.list_batch_jobs(ctx, workspace, name)
