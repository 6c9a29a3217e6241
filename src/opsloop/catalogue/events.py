"""Event types: each one a payload model that names its type and resource type.

A service emits an event by passing an instance to ``ServiceContext.record``; the outbox
stores ``type`` and the payload's JSON, and the dispatcher hands it to subscribers in a
CloudEvents 1.0 envelope (``opsloop.services.events``). A payload is validated when it is
made, so no event with an undeclared shape reaches a subscriber.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

EVENT_TYPES: dict[str, type[EventPayload]] = {}


class EventPayload(BaseModel):
    """The ``data`` of one event type. Subclasses declare ``event_type``, ``resource_type``
    and ``description``; declaring one registers it in ``EVENT_TYPES``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str] = ""
    resource_type: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type:
            if cls.event_type in EVENT_TYPES:
                raise TypeError(f"event type {cls.event_type!r} is declared twice")
            EVENT_TYPES[cls.event_type] = cls


def event_type_info(event_type: str) -> type[EventPayload]:
    return EVENT_TYPES[event_type]


# ---- workspaces, registries, datastores ---------------------------------------------
class WorkspaceCreated(EventPayload):
    event_type = "workspace.created"
    resource_type = "workspaces"
    description = "A workspace was created."
    kind: str


class WorkspaceDeleted(EventPayload):
    event_type = "workspace.deleted"
    resource_type = "workspaces"
    description = "A workspace and everything in it was deleted."


class RegistryCreated(EventPayload):
    event_type = "registry.created"
    resource_type = "registries"
    description = "A registry was created."


class DatastoreCreated(EventPayload):
    event_type = "datastore.created"
    resource_type = "datastores"
    description = "A datastore was created."
    url: str


class ComputeCreated(EventPayload):
    event_type = "compute.created"
    resource_type = "computes"
    description = "A compute was created."
    type: str
    max_instances: int | None = None


class ComputeUpdated(EventPayload):
    event_type = "compute.updated"
    resource_type = "computes"
    description = "A compute's settings were replaced (opsloop apply)."
    type: str
    max_instances: int | None = None


class ComputeDeleted(EventPayload):
    event_type = "compute.deleted"
    resource_type = "computes"
    description = "A compute was deleted."


# ---- versioned assets ---------------------------------------------------------------
class DataRegistered(EventPayload):
    event_type = "data.registered"
    resource_type = "data"
    description = "A data asset version was registered (with its content hash)."
    path: str
    content_hash: str | None = None


class EnvironmentRegistered(EventPayload):
    event_type = "environment.registered"
    resource_type = "environments"
    description = "An environment version was registered."


class ComponentRegistered(EventPayload):
    event_type = "component.registered"
    resource_type = "components"
    description = "A component version was registered."


class ModelRegistered(EventPayload):
    event_type = "model.registered"
    resource_type = "models"
    description = "A model version was registered, with the job and step it came from."
    path: str
    job: str | None = None
    step: str | None = None


class AssetArchiveChanged(EventPayload):
    """Versions of an asset were archived (hidden from lists and ``name@latest``, still
    found by ``name:version``) or restored; the subject names the asset, and the version
    when one was given."""

    versions: list[str]  # the versions whose state changed


class DataArchived(AssetArchiveChanged):
    event_type = "data.archived"
    resource_type = "data"
    description = "Data asset versions were archived."


class DataRestored(AssetArchiveChanged):
    event_type = "data.restored"
    resource_type = "data"
    description = "Archived data asset versions were restored."


class EnvironmentArchived(AssetArchiveChanged):
    event_type = "environment.archived"
    resource_type = "environments"
    description = "Environment versions were archived."


class EnvironmentRestored(AssetArchiveChanged):
    event_type = "environment.restored"
    resource_type = "environments"
    description = "Archived environment versions were restored."


class ComponentArchived(AssetArchiveChanged):
    event_type = "component.archived"
    resource_type = "components"
    description = "Component versions were archived."


class ComponentRestored(AssetArchiveChanged):
    event_type = "component.restored"
    resource_type = "components"
    description = "Archived component versions were restored."


class ModelArchived(AssetArchiveChanged):
    event_type = "model.archived"
    resource_type = "models"
    description = "Model versions were archived."


class ModelRestored(AssetArchiveChanged):
    event_type = "model.restored"
    resource_type = "models"
    description = "Archived model versions were restored."


# (asset kind, archived) -> the event that says so
ASSET_ARCHIVE_EVENTS: dict[tuple[str, bool], type[AssetArchiveChanged]] = {
    ("data", True): DataArchived,
    ("data", False): DataRestored,
    ("environment", True): EnvironmentArchived,
    ("environment", False): EnvironmentRestored,
    ("component", True): ComponentArchived,
    ("component", False): ComponentRestored,
    ("model", True): ModelArchived,
    ("model", False): ModelRestored,
}


# ---- jobs ---------------------------------------------------------------------------
class JobCreated(EventPayload):
    event_type = "job.created"
    resource_type = "jobs"
    description = "A job was submitted (a pipeline's steps are created with it)."
    type: str
    experiment: str


class JobCancelRequested(EventPayload):
    event_type = "job.cancel_requested"
    resource_type = "jobs"
    description = "Someone asked a job to stop."


class JobStatusChanged(EventPayload):
    """A job or a pipeline step changed state; the subject names which."""

    resource_type = "jobs"
    status: str
    error: str | None = None


class JobQueued(JobStatusChanged):
    event_type = "job.queued"
    description = "A job or step is waiting for a runner."


class JobRunning(JobStatusChanged):
    event_type = "job.running"
    description = "A job or step started running."


class JobCompleted(JobStatusChanged):
    event_type = "job.completed"
    description = "A job or step completed (or was reused)."


class JobFailed(JobStatusChanged):
    event_type = "job.failed"
    description = "A job or step failed; error says why (runner lost, exit code, timeout)."


class JobCanceled(JobStatusChanged):
    event_type = "job.canceled"
    description = "A job or step was canceled."


JOB_STATUS_EVENTS: dict[str, type[JobStatusChanged]] = {
    "Queued": JobQueued,
    "Running": JobRunning,
    "Completed": JobCompleted,
    "Failed": JobFailed,
    "Canceled": JobCanceled,
}


# ---- online endpoints ---------------------------------------------------------------
class OnlineEndpointCreated(EventPayload):
    event_type = "online_endpoint.created"
    resource_type = "online-endpoints"
    description = "An online endpoint was created."
    auth_mode: str


class OnlineEndpointTrafficChanged(EventPayload):
    event_type = "online_endpoint.traffic_changed"
    resource_type = "online-endpoints"
    description = "An online endpoint's traffic or mirror traffic split was changed."
    traffic: dict[str, int]
    mirror_traffic: dict[str, int]
    via: str | None = None  # what changed it, besides its actor: promotion:<name>, rollback


class OnlineEndpointDeleted(EventPayload):
    event_type = "online_endpoint.deleted"
    resource_type = "online-endpoints"
    description = "An online endpoint was deleted."


class OnlineEndpointCredentialsRead(EventPayload):
    event_type = "online_endpoint.credentials_read"
    resource_type = "online-endpoints"
    description = "Someone read an endpoint's keys or took a token for it."
    auth_mode: str


class OnlineEndpointFeedbackReceived(EventPayload):
    event_type = "online_endpoint.feedback_received"
    resource_type = "online-endpoints"
    description = (
        "Ground truth was posted to an endpoint's feedback route (the platform API's); "
        "model_performance monitors read it."
    )
    rows: int
    location: str


class OnlineEndpointKeysRegenerated(EventPayload):
    event_type = "online_endpoint.keys_regenerated"
    resource_type = "online-endpoints"
    description = "An endpoint's primary or secondary key was regenerated."
    key_type: str


class OnlineDeploymentCreated(EventPayload):
    event_type = "online_deployment.created"
    resource_type = "online-endpoints/deployments"
    description = "A deployment was provisioned and stored."
    model: str | None = None
    all_traffic: bool = False
    # The cost model's instance hours follow it over time (None: an event from before it was
    # recorded).
    instance_count: int | None = None


class OnlineDeploymentUpdated(EventPayload):
    event_type = "online_deployment.updated"
    resource_type = "online-endpoints/deployments"
    description = "A deployment was updated (its model or settings)."
    model: str | None = None
    previous_model: str | None = None
    instance_count: int | None = None


class OnlineDeploymentDeleted(EventPayload):
    event_type = "online_deployment.deleted"
    resource_type = "online-endpoints/deployments"
    description = "A deployment was deleted."


# ---- batch endpoints ----------------------------------------------------------------
class BatchEndpointCreated(EventPayload):
    event_type = "batch_endpoint.created"
    resource_type = "batch-endpoints"
    description = "A batch endpoint was created."


class BatchEndpointDeleted(EventPayload):
    event_type = "batch_endpoint.deleted"
    resource_type = "batch-endpoints"
    description = "A batch endpoint was deleted."


class BatchDeploymentCreated(EventPayload):
    event_type = "batch_deployment.created"
    resource_type = "batch-endpoints/deployments"
    description = "A batch deployment was created."
    model: str | None = None


class BatchDeploymentDeleted(EventPayload):
    event_type = "batch_deployment.deleted"
    resource_type = "batch-endpoints/deployments"
    description = "A batch deployment was deleted."


# ---- event subscriptions ------------------------------------------------------------
class EventSubscriptionCreated(EventPayload):
    event_type = "event_subscription.created"
    resource_type = "event-subscriptions"
    description = "An event subscription was created, with its action (webhook, run_job, ...)."
    event_types: list[str]
    webhook_url: str | None = None
    action: str = "webhook"
    subject: str | None = None


class EventSubscriptionDeleted(EventPayload):
    event_type = "event_subscription.deleted"
    resource_type = "event-subscriptions"
    description = "An event subscription was deleted."


class EventSubscriptionRedeliveryRequested(EventPayload):
    event_type = "event_subscription.redelivery_requested"
    resource_type = "event-subscriptions"
    description = "Events were queued to be delivered to a subscription again."
    events: list[str]


# ---- artifacts ----------------------------------------------------------------------
class UploadStored(EventPayload):
    event_type = "upload.stored"
    resource_type = "uploads"
    description = "A file or folder was uploaded into the artifact store (content-addressed)."
    url: str
    content_hash: str
    reused: bool = False  # the same content was there already


# Event types of one concept each live in modules of their own; imported here so that
# EVENT_TYPES holds every type wherever the catalogue is read.
from opsloop.catalogue import access_events as access_events  # noqa: E402
from opsloop.catalogue import elevation_events as _elevation_events  # noqa: E402, F401
from opsloop.catalogue import labeling_events as _labeling_events  # noqa: E402, F401
from opsloop.catalogue import monitor_events as _monitor_events  # noqa: E402, F401
from opsloop.catalogue import promotion_events as _promotion_events  # noqa: E402, F401
from opsloop.catalogue import schedule_events as _schedule_events  # noqa: E402, F401
from opsloop.catalogue import sharing_events as _sharing_events  # noqa: E402, F401
from opsloop.catalogue import update_events as _update_events  # noqa: E402, F401
from opsloop.catalogue import vault_events as _vault_events  # noqa: E402, F401
from opsloop.catalogue import workspace_check_events as _workspace_check_events  # noqa: E402, F401
