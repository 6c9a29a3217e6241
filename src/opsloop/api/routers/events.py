"""Events: the outbox as CloudEvents, the declared event types, subscriptions and their
deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from opsloop.api.deps import (
    DRY_RUN_RESPONSES,
    ActorDep,
    DryRun,
    ListLimit,
    Moment,
    PlatformDep,
)
from opsloop.catalogue.events import EVENT_TYPES
from opsloop.schemas.events import (
    CloudEvent,
    Delivery,
    EventSubscription,
    EventType,
    Redelivery,
    RedeliveryRequest,
)
from opsloop.services import events, subscriptions
from opsloop.services.pending_uploads import with_upload_urls
from opsloop.specs.events import SubscriptionSpec

router = APIRouter(tags=["events"])


@router.get("/events")
def list_events(
    platform: PlatformDep,
    actor: ActorDep,
    type: Annotated[str | None, Query(max_length=128)] = None,
    workspace: Annotated[str | None, Query(max_length=255)] = None,
    since: Moment = None,
    until: Moment = None,
    limit: ListLimit = 100,
) -> list[CloudEvent]:
    with platform.context(actor) as ctx:
        return events.list_events(
            ctx, event_type=type, workspace=workspace, since=since, until=until, limit=limit
        )


@router.get("/event-types")
def list_event_types() -> list[EventType]:
    """Every declared event type, with its resource type and the schema of its data."""
    return [
        EventType(
            type=name,
            resource_type=model.resource_type,
            description=model.description,
            data_schema=model.model_json_schema(),
        )
        for name, model in sorted(EVENT_TYPES.items())
    ]


@router.post("/event-subscriptions", status_code=201, responses=DRY_RUN_RESPONSES)
def create_subscription(
    spec: SubscriptionSpec, platform: PlatformDep, actor: ActorDep, dry_run: DryRun
) -> EventSubscription:
    if dry_run:  # a run_job's code was hashed, not uploaded: name where it would be
        spec = with_upload_urls(platform.artifacts, spec)
    with platform.context(actor, dry_run=dry_run) as ctx:
        made = subscriptions.create_subscription(ctx, spec)
    if dry_run:
        made.secret = None  # made up and thrown away: no webhook would be signed with it
    return made


@router.put("/event-subscriptions/{name}")
def update_subscription(
    name: str, spec: SubscriptionSpec, platform: PlatformDep, actor: ActorDep
) -> EventSubscription:
    with platform.context(actor) as ctx:
        return subscriptions.update_subscription(ctx, name, spec)


@router.get("/event-subscriptions")
def list_subscriptions(platform: PlatformDep, actor: ActorDep) -> list[EventSubscription]:
    with platform.context(actor) as ctx:
        return subscriptions.list_subscriptions(ctx)


@router.get("/event-subscriptions/{name}")
def get_subscription(name: str, platform: PlatformDep, actor: ActorDep) -> EventSubscription:
    with platform.context(actor) as ctx:
        return subscriptions.get_subscription(ctx, name)


@router.delete("/event-subscriptions/{name}", status_code=204)
def delete_subscription(name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        subscriptions.delete_subscription(ctx, name)
    return Response(status_code=204)


@router.get("/event-subscriptions/{name}/deliveries")
def list_deliveries(
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    status: Annotated[
        Literal["new", "retrying", "queued", "delivered", "dead_letter"] | None, Query()
    ] = None,
    limit: ListLimit = 100,
) -> list[Delivery]:
    """The subscription's deliveries, newest ``limit``, each with its attempts."""
    with platform.context(actor) as ctx:
        return subscriptions.list_deliveries(ctx, name, status, limit)


@router.post("/event-subscriptions/{name}/redeliver")
def redeliver(
    name: str, body: RedeliveryRequest, platform: PlatformDep, actor: ActorDep
) -> Redelivery:
    """Queue one event, or every dead letter, to be delivered again."""
    with platform.context(actor) as ctx:
        return subscriptions.redeliver(ctx, name, event=body.event, dead_letters=body.dead_letters)
