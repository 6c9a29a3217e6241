"""Where the runtime's endpoints come from: the metadata store, or an exported bundle."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from opsloop.scoring.bundle import EndpointBundle, read_bundle
from opsloop.services.context import Platform
from opsloop.services.endpoint_bundles import stored_endpoint
from opsloop.services.online_deployments import deployment_logger
from opsloop.serving.collection.request_log import STDOUT
from opsloop.store.tables import EndpointRow, WorkspaceRow


class EndpointSource(Protocol):
    def revisions(self) -> dict[str, str]:
        """Endpoint name -> revision; cheap, called every poll."""

    def load(self, name: str) -> EndpointBundle:
        """The endpoint as it is now, with local model folders."""

    def request_log_target(self) -> str:
        """Where the traffic log goes: a database URL, or ``-`` for JSON lines on stdout."""

    def request_log_retention_days(self) -> int:
        """How long the traffic log keeps a row (0: forever)."""

    def deployment_logger(self, endpoint: str, deployment: str) -> logging.Logger: ...


class StoreSource:
    """Online endpoints of the metadata store: all of them, or one workspace's, or one."""

    def __init__(
        self, platform: Platform, *, workspace: str | None = None, endpoint: str | None = None
    ) -> None:
        self.platform = platform
        self.workspace = workspace
        self.endpoint = endpoint

    def revisions(self) -> dict[str, str]:
        query = select(EndpointRow.name, EndpointRow.id, EndpointRow.revision).where(
            EndpointRow.kind == "online"
        )
        if self.endpoint is not None:
            query = query.where(EndpointRow.name == self.endpoint)
        if self.workspace is not None:
            query = query.join(WorkspaceRow, WorkspaceRow.id == EndpointRow.workspace_id).where(
                WorkspaceRow.name == self.workspace
            )
        with self.platform.database.transaction() as session:
            return {name: f"{id_}:{revision}" for name, id_, revision in session.execute(query)}

    def load(self, name: str) -> EndpointBundle:
        with self.platform.database.transaction() as session:
            row = session.scalar(
                select(EndpointRow).where(EndpointRow.kind == "online", EndpointRow.name == name)
            )
            if row is None:
                raise LookupError(name)
            stored = stored_endpoint(session, row)
        # No transaction open: see endpoint_bundles.
        return stored.fetch(self.platform.settings, self.platform.secret_box)

    def request_log_target(self) -> str:
        return self.platform.database.url

    def request_log_retention_days(self) -> int:
        return self.platform.settings.request_log_retention_days

    def deployment_logger(self, endpoint: str, deployment: str) -> logging.Logger:
        return deployment_logger(self.platform.settings, endpoint, deployment)


class BundleSource:
    """One endpoint from a bundle folder (inside an exported container image)."""

    def __init__(self, folder: Path) -> None:
        self.bundle = read_bundle(folder)

    def revisions(self) -> dict[str, str]:
        return {self.bundle.name: self.bundle.revision}

    def load(self, name: str) -> EndpointBundle:
        return self.bundle

    def request_log_target(self) -> str:
        return STDOUT

    def request_log_retention_days(self) -> int:
        return 0  # stdout: the container's log collector keeps what it keeps

    def deployment_logger(self, endpoint: str, deployment: str) -> logging.Logger:
        return logging.getLogger(f"opsloop.deployments.{endpoint}.{deployment}")
