"""Online endpoints and their deployments, credentials, logs and traffic log."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse

from opsloop.api.deps import (
    DRY_RUN_RESPONSES,
    ActorDep,
    DryRun,
    HttpStatus,
    ListLimit,
    LogLines,
    Moment,
    PlatformDep,
    Revision,
    require_path_match,
)
from opsloop.api.transfer import tar_response
from opsloop.export.install import EXPORT_HEADER
from opsloop.schemas.endpoint_requests import EndpointExport, OnlineEndpointUpdate, RegenerateKeys
from opsloop.schemas.endpoints import (
    EndpointCredentials,
    OnlineDeployment,
    OnlineEndpoint,
    RequestLogEntry,
    TrafficChange,
)
from opsloop.schemas.feedback import FeedbackReceipt, FeedbackRows
from opsloop.services import (
    endpoint_bundles,
    endpoint_feedback,
    endpoint_request_logs,
    online_deployments,
    online_endpoints,
)
from opsloop.services import endpoint_history as endpoint_history_service
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.specs.endpoint import OnlineDeploymentSpec, OnlineEndpointSpec

router = APIRouter(prefix="/workspaces/{workspace}/online-endpoints", tags=["online endpoints"])


@router.post("", status_code=201, responses=DRY_RUN_RESPONSES)
def create_endpoint(
    workspace: str,
    spec: OnlineEndpointSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
) -> OnlineEndpoint:
    with platform.context(actor, dry_run=dry_run) as ctx:
        return online_endpoints.create_online_endpoint(ctx, workspace, spec)


@router.get("")
def list_endpoints(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[OnlineEndpoint]:
    with platform.context(actor) as ctx:
        return online_endpoints.list_online_endpoints(ctx, workspace)


@router.get("/{name}")
def get_endpoint(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> OnlineEndpoint:
    with platform.context(actor) as ctx:
        return online_endpoints.get_online_endpoint(ctx, workspace, name)


@router.patch("/{name}")
def update_endpoint(
    workspace: str, name: str, body: OnlineEndpointUpdate, platform: PlatformDep, actor: ActorDep
) -> OnlineEndpoint:
    with platform.context(actor) as ctx:
        return online_endpoints.update_online_endpoint(
            ctx, workspace, name, **body.model_dump(exclude_unset=True)
        )


@router.delete("/{name}", status_code=204)
def delete_endpoint(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> None:
    with platform.context(actor) as ctx:
        online_endpoints.delete_online_endpoint(ctx, workspace, name)


@router.post("/{name}/credentials", response_model_by_alias=True)
def get_credentials(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> EndpointCredentials:
    with platform.context(actor) as ctx:
        return online_endpoints.get_credentials(ctx, workspace, name)


@router.post("/{name}/regenerate-keys", response_model_by_alias=True)
def regenerate_keys(
    workspace: str, name: str, body: RegenerateKeys, platform: PlatformDep, actor: ActorDep
) -> EndpointCredentials:
    with platform.context(actor) as ctx:
        return online_endpoints.regenerate_keys(ctx, workspace, name, body.key_type)


@router.post("/{name}/export", response_class=FileResponse)
def export_endpoint(
    workspace: str, name: str, body: EndpointExport, platform: PlatformDep, actor: ActorDep
) -> FileResponse:
    """The Dockerfiles and manifests as a gzipped tar archive; the image tags and what the
    export could not carry over are in the ``opsloop-export`` header (JSON)."""
    archive, summary = endpoint_bundles.export_online_endpoint(
        platform, actor, workspace, name, body.format, body.image_registry
    )
    return tar_response(archive, f"{name}-{body.format}.tar.gz", {EXPORT_HEADER: summary})


@router.get("/{name}/request-logs")
def list_request_logs(
    workspace: str,
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    deployment: str | None = None,
    status_code: HttpStatus = None,
    since: Moment = None,
    limit: ListLimit = 100,
) -> list[RequestLogEntry]:
    with platform.context(actor) as ctx:
        return endpoint_request_logs.list_request_logs(
            ctx, workspace, name, deployment=deployment, status_code=status_code,
            since=since, limit=limit,
        )  # fmt: skip


@router.post("/{name}/feedback")
def post_feedback(
    workspace: str, name: str, rows: FeedbackRows, platform: PlatformDep, actor: ActorDep
) -> FeedbackReceipt:
    """Ground truth for scored requests: ``[{"correlation_id", "ground_truth", "row_index"?}]``
    (at most 10,000 rows a post), stored beside the endpoint's collected data."""
    with platform.context(actor) as ctx:
        return endpoint_feedback.post_feedback(ctx, workspace, name, rows)


@router.get("/{name}/history")
def endpoint_history(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> list[TrafficChange]:
    """Every traffic split the endpoint had, oldest first: the model each deployment with
    traffic served, and who (and what: a promotion, a rollback) changed it."""
    with platform.context(actor) as ctx:
        return endpoint_history_service.endpoint_history(ctx, workspace, name)


@router.post("/{name}/rollback")
def roll_back(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> OnlineEndpoint:
    """Restore the traffic split the endpoint had before its last change."""
    with platform.context(actor) as ctx:
        return endpoint_history_service.roll_back_traffic(ctx, workspace, name)


@router.post("/{name}/deployments", status_code=201, responses=DRY_RUN_RESPONSES)
def create_deployment(
    workspace: str,
    name: str,
    spec: OnlineDeploymentSpec,
    platform: PlatformDep,
    actor: ActorDep,
    dry_run: DryRun,
    all_traffic: bool = False,
) -> OnlineDeployment:
    """Provision and store a deployment; with ``dry_run``, resolve and check it and answer
    what would be stored, provisioning nothing."""
    require_path_match(spec.endpoint_name, name, field="endpoint_name", noun="endpoint")
    if dry_run:  # its code was hashed by the client, not uploaded
        spec = with_upload_urls(platform.artifacts, spec)
    return online_deployments.deploy_online_deployment(
        platform, actor, workspace, spec, creating=True, all_traffic=all_traffic, dry_run=dry_run
    )


@router.put("/{name}/deployments/{deployment}")
def update_deployment(
    workspace: str,
    name: str,
    deployment: str,
    spec: OnlineDeploymentSpec,
    platform: PlatformDep,
    actor: ActorDep,
    endpoint_revision: Revision = None,
) -> OnlineDeployment:
    """``endpoint_revision``: the endpoint's revision the spec was worked out from (a client
    that read the current spec and changed part of it); 409 if the endpoint moved on."""
    require_path_match(spec.endpoint_name, name, field="endpoint_name", noun="endpoint")
    require_path_match(spec.name, deployment, field="name", noun="deployment")
    return online_deployments.deploy_online_deployment(
        platform, actor, workspace, spec, creating=False, endpoint_revision=endpoint_revision
    )


@router.get("/{name}/deployments")
def list_deployments(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep
) -> list[OnlineDeployment]:
    with platform.context(actor) as ctx:
        return online_deployments.list_online_deployments(ctx, workspace, name)


@router.get("/{name}/deployments/{deployment}")
def get_deployment(
    workspace: str, name: str, deployment: str, platform: PlatformDep, actor: ActorDep
) -> OnlineDeployment:
    with platform.context(actor) as ctx:
        return online_deployments.get_online_deployment(ctx, workspace, name, deployment)


@router.delete("/{name}/deployments/{deployment}", status_code=204)
def delete_deployment(
    workspace: str, name: str, deployment: str, platform: PlatformDep, actor: ActorDep
) -> None:
    with platform.context(actor) as ctx:
        online_deployments.delete_online_deployment(ctx, workspace, name, deployment)


@router.get("/{name}/deployments/{deployment}/logs", response_class=PlainTextResponse)
def deployment_logs(
    workspace: str, name: str, deployment: str, platform: PlatformDep, actor: ActorDep,
    lines: LogLines = 100,
) -> str:  # fmt: skip
    with platform.context(actor) as ctx:
        return online_deployments.get_deployment_logs(ctx, workspace, name, deployment, lines)
