"""An online endpoint as the serving runtime and the exporter take it: an ``EndpointBundle``
with its deployments' model and code folders on local disk.

Reading the rows and fetching the model files are two steps: the first in a transaction,
the second outside any, because a first fetch from object storage can take minutes and
SQLite would hold its write lock all that time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.config import Settings
from opsloop.export.archive import pack_export
from opsloop.export.writer import ExportFormat
from opsloop.scoring.bundle import EndpointBundle
from opsloop.security.actor import Actor
from opsloop.security.secret_references import referenced_names
from opsloop.security.secrets_at_rest import SecretBox
from opsloop.services import vault
from opsloop.services.context import Platform, ServiceContext
from opsloop.services.online_deployments import deployment_bundle
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.endpoint import OnlineEndpointSpec
from opsloop.store.tables import DatastoreRow, DeploymentRow, EndpointRow, WorkspaceRow

# Collected payloads go under this folder of the workspace's default datastore.
COLLECTOR_FOLDER = "modelDataCollector"


@dataclass(frozen=True)
class StoredEndpoint:
    """An endpoint's rows as one transaction read them (the session does not expire them
    on commit); ``fetch`` brings the files."""

    row: EndpointRow
    workspace: str
    collector_root: str | None
    deployments: tuple[DeploymentRow, ...]
    # The sealed values of the secrets the deployments' environment variables refer to.
    sealed_secrets: dict[str, str] = field(default_factory=dict)

    def fetch(self, settings: Settings, secret_box: SecretBox | None = None) -> EndpointBundle:
        """The bundle, with local copies of the model and code folders (cached by hash).
        With ``secret_box``, the endpoint's keys or token secret too, decrypted here once so
        that the runtime never decrypts per request; without, none (an export carries none)."""
        row = self.row
        keys, token_secret = _open_secrets(row, secret_box) if secret_box else ((), None)
        secrets = (
            {name: secret_box.open(value) for name, value in self.sealed_secrets.items()}
            if secret_box
            else None
        )
        for deployment in self.deployments if secrets is not None else ():
            vault.require_all(
                secrets or {}, _references(deployment), f"deployment {deployment.name!r}"
            )
        return EndpointBundle(
            workspace=self.workspace,
            name=row.name,
            spec=OnlineEndpointSpec(
                name=row.name,
                auth_mode=row.auth_mode,
                traffic=row.spec.get("traffic", {}),
                mirror_traffic=row.spec.get("mirror_traffic", {}),
            ),
            deployments={d.name: deployment_bundle(settings, d, secrets) for d in self.deployments},
            keys=keys,
            token_secret=token_secret,
            revision=str(row.revision),
            collector_root=self.collector_root,
        )


def _open_secrets(row: EndpointRow, box: SecretBox) -> tuple[tuple[str, ...], str | None]:
    """What the endpoint's auth mode checks requests with, and nothing more."""
    if row.auth_mode == "key":
        return (box.open(row.keys["primary"]), box.open(row.keys["secondary"])), None
    return (), box.open(row.keys["token_secret"])


def stored_endpoint(session: Session, row: EndpointRow) -> StoredEndpoint:
    """The endpoint of ``row`` and its deployments (its sealed keys included: ``fetch`` opens them)."""
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
    rows = tuple(deployments)
    names = {name for d in rows for name in _references(d)}
    return StoredEndpoint(
        row=row,
        workspace=workspace.name,
        collector_root=f"{datastore.url.rstrip('/')}/{COLLECTOR_FOLDER}" if datastore else None,
        deployments=rows,
        sealed_secrets=vault.sealed_values(session, row.workspace_id, names),
    )


def _references(row: DeploymentRow) -> list[str]:
    """The secrets a deployment's environment variables refer to."""
    variables: dict[str, str] = row.spec.get("environment_variables") or {}
    return [name for value in variables.values() for name in referenced_names(str(value))]


def read_stored_endpoint(ctx: ServiceContext, workspace: str, name: str) -> StoredEndpoint:
    """For an export: the endpoint's rows, read access checked; ``fetch`` it afterwards."""
    ctx.authorize(Action.ONLINE_ENDPOINTS_EXPORT, workspace)
    ws = require_workspace_row(ctx, workspace)
    return stored_endpoint(ctx.session, require_endpoint_row(ctx, ws, name))


def export_online_endpoint(
    platform: Platform,
    actor: Actor,
    workspace: str,
    name: str,
    fmt: ExportFormat,
    image_registry: str | None,
) -> tuple[Path, str]:
    """The endpoint's export as a temporary tar.gz (the caller deletes it) and its summary.
    The endpoint is read in a transaction; its model files are fetched and packed with none
    open (a first fetch can take minutes)."""
    with platform.context(actor) as ctx:
        stored = read_stored_endpoint(ctx, workspace, name)
    return pack_export(stored.fetch(platform.settings), fmt, image_registry)
