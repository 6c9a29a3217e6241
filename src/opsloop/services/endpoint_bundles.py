"""An online endpoint as the serving runtime and the exporter take it: an ``EndpointBundle``
with its deployments' model and code folders on local disk."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsloop.config import Settings
from opsloop.services.context import ServiceContext
from opsloop.services.online_deployments import deployment_bundle
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.serving.bundle import EndpointBundle
from opsloop.specs.endpoint import OnlineEndpointSpec
from opsloop.store.tables import DatastoreRow, DeploymentRow, EndpointRow, WorkspaceRow

# Collected payloads go under this folder of the workspace's default datastore.
COLLECTOR_FOLDER = "modelDataCollector"


def endpoint_bundle(session: Session, settings: Settings, row: EndpointRow) -> EndpointBundle:
    """The endpoint of ``row`` as it is now (keys included: the runtime checks them)."""
    workspace = session.get(WorkspaceRow, row.workspace_id)
    assert workspace is not None
    datastore = session.scalar(
        select(DatastoreRow).where(
            DatastoreRow.workspace_id == row.workspace_id, DatastoreRow.is_default
        )
    )
    deployments = session.scalars(
        select(DeploymentRow)
        .where(DeploymentRow.endpoint_id == row.id)
        .order_by(DeploymentRow.name)
    )
    return EndpointBundle(
        workspace=workspace.name,
        name=row.name,
        spec=OnlineEndpointSpec(
            name=row.name,
            auth_mode=row.auth_mode,
            traffic=row.spec.get("traffic", {}),
            mirror_traffic=row.spec.get("mirror_traffic", {}),
        ),
        deployments={d.name: deployment_bundle(settings, d) for d in deployments},
        keys=(row.keys["primary"], row.keys["secondary"]),
        token_secret=row.keys.get("token_secret"),
        revision=str(row.revision),
        collector_root=f"{datastore.url.rstrip('/')}/{COLLECTOR_FOLDER}" if datastore else None,
    )


def read_endpoint_bundle(ctx: ServiceContext, workspace: str, name: str) -> EndpointBundle:
    """For an export: the endpoint with local model folders, read access checked."""
    ctx.authorize("online_endpoint.read", workspace)
    ws = require_workspace_row(ctx, workspace)
    return endpoint_bundle(ctx.session, ctx.settings, require_endpoint_row(ctx, ws, name))
