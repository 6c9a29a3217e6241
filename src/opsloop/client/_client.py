"""``opsloop.Client``: the same methods embedded and remote."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from opsloop.client._transport import Transport
from opsloop.config import Settings

if TYPE_CHECKING:
    from opsloop.client._access import GroupOperations, PrincipalOperations, TokenOperations
    from opsloop.client._audit import AuditOperations
    from opsloop.client._batch import BatchDeploymentOperations, BatchEndpointOperations
    from opsloop.client._computes import ComputeOperations
    from opsloop.client._endpoints import OnlineDeploymentOperations, OnlineEndpointOperations
    from opsloop.client._events import EventOperations, EventSubscriptionOperations
    from opsloop.client._jobs import JobOperations
    from opsloop.client._labeling import LabelingOperations
    from opsloop.client._models import ModelOperations
    from opsloop.client._monitors import MonitorOperations
    from opsloop.client._personas import ElevationOperations, PersonaOperations
    from opsloop.client._promotions import (
        ApprovalOperations,
        PromotionOperations,
        PromotionPolicyOperations,
    )
    from opsloop.client._resources import (
        ComponentOperations,
        DataOperations,
        DatastoreOperations,
        EnvironmentOperations,
        RegistryOperations,
        WorkspaceOperations,
    )
    from opsloop.client._roles import RoleAssignmentOperations, RoleOperations
    from opsloop.client._schedules import ScheduleOperations
    from opsloop.client._secrets import SecretOperations


class Client:
    """Entry point of the SDK.

    Embedded when no server URI is given (home ``./.opsloop`` or ``OPSLOOP_HOME``), remote
    when ``uri`` or ``OPSLOOP_URI`` is ``http(s)://...``::

        client = Client()                                  # embedded
        client = Client("http://127.0.0.1:8080", workspace="dev")  # remote (OPSLOOP_TOKEN)
        job = client.jobs.create(file="pipeline.yml", workspace="dev")
        client.jobs.wait(job.name)

    ``local_server=True`` (what the CLI passes): embedded calls go to the home's local
    server when one runs for this environment (``opsloop.app.local_server``), else in
    process.
    """

    def __init__(
        self,
        uri: str | None = None,
        *,
        workspace: str | None = None,
        home: str | Path | None = None,
        token: str | None = None,
        settings: Settings | None = None,
        local_server: bool = False,
    ) -> None:
        settings = settings or Settings()
        if uri is not None:
            settings = settings.model_copy(update={"uri": uri})
        if token is not None:
            settings = settings.model_copy(update={"token": SecretStr(token)})
        if home is not None:
            settings = settings.model_copy(update={"home": Path(home)})
        self.settings = settings
        self.default_workspace = workspace or os.environ.get("OPSLOOP_WORKSPACE")
        self._transport = Transport(settings, embedded_token=token, local_server=local_server)

    # Each noun's operations are built on first use: their modules bring that noun's
    # entities (and the endpoint and event specs), which a process that touches one noun
    # (a CLI call) should not import for all the others.
    @cached_property
    def workspaces(self) -> WorkspaceOperations:
        from opsloop.client._resources import WorkspaceOperations

        return WorkspaceOperations(self)

    @cached_property
    def registries(self) -> RegistryOperations:
        from opsloop.client._resources import RegistryOperations

        return RegistryOperations(self)

    @cached_property
    def datastores(self) -> DatastoreOperations:
        from opsloop.client._resources import DatastoreOperations

        return DatastoreOperations(self)

    @cached_property
    def data(self) -> DataOperations:
        from opsloop.client._resources import DataOperations

        return DataOperations(self)

    @cached_property
    def environments(self) -> EnvironmentOperations:
        from opsloop.client._resources import EnvironmentOperations

        return EnvironmentOperations(self)

    @cached_property
    def components(self) -> ComponentOperations:
        from opsloop.client._resources import ComponentOperations

        return ComponentOperations(self)

    @cached_property
    def computes(self) -> ComputeOperations:
        from opsloop.client._computes import ComputeOperations

        return ComputeOperations(self)

    @cached_property
    def jobs(self) -> JobOperations:
        from opsloop.client._jobs import JobOperations

        return JobOperations(self)

    @cached_property
    def models(self) -> ModelOperations:
        from opsloop.client._models import ModelOperations

        return ModelOperations(self)

    @cached_property
    def promotions(self) -> PromotionOperations:
        from opsloop.client._promotions import PromotionOperations

        return PromotionOperations(self)

    @cached_property
    def promotion_policies(self) -> PromotionPolicyOperations:
        from opsloop.client._promotions import PromotionPolicyOperations

        return PromotionPolicyOperations(self)

    @cached_property
    def approvals(self) -> ApprovalOperations:
        from opsloop.client._promotions import ApprovalOperations

        return ApprovalOperations(self)

    @cached_property
    def online_endpoints(self) -> OnlineEndpointOperations:
        from opsloop.client._endpoints import OnlineEndpointOperations

        return OnlineEndpointOperations(self)

    @cached_property
    def online_deployments(self) -> OnlineDeploymentOperations:
        from opsloop.client._endpoints import OnlineDeploymentOperations

        return OnlineDeploymentOperations(self)

    @cached_property
    def batch_endpoints(self) -> BatchEndpointOperations:
        from opsloop.client._batch import BatchEndpointOperations

        return BatchEndpointOperations(self)

    @cached_property
    def batch_deployments(self) -> BatchDeploymentOperations:
        from opsloop.client._batch import BatchDeploymentOperations

        return BatchDeploymentOperations(self)

    @cached_property
    def events(self) -> EventOperations:
        from opsloop.client._events import EventOperations

        return EventOperations(self)

    @cached_property
    def event_subscriptions(self) -> EventSubscriptionOperations:
        from opsloop.client._events import EventSubscriptionOperations

        return EventSubscriptionOperations(self)

    @cached_property
    def subscriptions(self) -> EventSubscriptionOperations:
        """The same as ``event_subscriptions``: subscriptions and their deliveries."""
        return self.event_subscriptions

    @cached_property
    def principals(self) -> PrincipalOperations:
        from opsloop.client._access import PrincipalOperations

        return PrincipalOperations(self)

    @cached_property
    def groups(self) -> GroupOperations:
        from opsloop.client._access import GroupOperations

        return GroupOperations(self)

    @cached_property
    def tokens(self) -> TokenOperations:
        from opsloop.client._access import TokenOperations

        return TokenOperations(self)

    @cached_property
    def roles(self) -> RoleOperations:
        from opsloop.client._roles import RoleOperations

        return RoleOperations(self)

    @cached_property
    def role_assignments(self) -> RoleAssignmentOperations:
        from opsloop.client._roles import RoleAssignmentOperations

        return RoleAssignmentOperations(self)

    @cached_property
    def personas(self) -> PersonaOperations:
        from opsloop.client._personas import PersonaOperations

        return PersonaOperations(self)

    @cached_property
    def elevations(self) -> ElevationOperations:
        from opsloop.client._personas import ElevationOperations

        return ElevationOperations(self)

    @cached_property
    def audit(self) -> AuditOperations:
        from opsloop.client._audit import AuditOperations

        return AuditOperations(self)

    @cached_property
    def secrets(self) -> SecretOperations:
        from opsloop.client._secrets import SecretOperations

        return SecretOperations(self)

    @cached_property
    def monitors(self) -> MonitorOperations:
        from opsloop.client._monitors import MonitorOperations

        return MonitorOperations(self)

    @cached_property
    def labeling(self) -> LabelingOperations:
        from opsloop.client._labeling import LabelingOperations

        return LabelingOperations(self)

    @cached_property
    def schedules(self) -> ScheduleOperations:
        from opsloop.client._schedules import ScheduleOperations

        return ScheduleOperations(self)

    @property
    def is_remote(self) -> bool:
        return self._transport.remote

    @property
    def via_local_server(self) -> bool:
        """Embedded calls go to the home's local server (not this process)."""
        return self._transport.local_socket is not None

    @property
    def location(self) -> str:
        """The server URL (remote) or the home folder (embedded)."""
        return self._transport.location

    def workspace_name(self, workspace: str | None) -> str:
        name = workspace or self.default_workspace
        if not name:
            from opsloop.errors import ValidationError

            raise ValidationError(
                "no workspace given: pass -w/--workspace (workspace=) or set OPSLOOP_WORKSPACE",
                field="workspace",
            )
        return name

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._transport.request(method, path, **kwargs)

    def _upload(self, content: bytes, name: str, kind: str) -> str:
        workspace = self.workspace_name(self._upload_workspace)
        answer = self.request(
            "POST",
            f"/workspaces/{workspace}/uploads",
            params={"name": name, "kind": kind},
            content=content,
        )
        return str(answer["url"])

    _upload_workspace: str | None = None

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
