"""Events: the outbox as CloudEvents, the declared event types, webhook subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from opsloop.api.deps import ActorDep, ListLimit, Moment, PlatformDep
from opsloop.catalogue.events import EVENT_TYPES
from opsloop.schemas.events import CloudEvent, EventSubscription, EventType
from opsloop.services import events
from opsloop.specs.events import EventSubscriptionSpec

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


@router.post("/event-subscriptions", status_code=201)
def create_subscription(
    spec: EventSubscriptionSpec, platform: PlatformDep, actor: ActorDep
) -> EventSubscription:
    with platform.context(actor) as ctx:
        return events.create_subscription(ctx, spec)


@router.get("/event-subscriptions")
def list_subscriptions(platform: PlatformDep, actor: ActorDep) -> list[EventSubscription]:
    with platform.context(actor) as ctx:
        return events.list_subscriptions(ctx)


@router.get("/event-subscriptions/{name}")
def get_subscription(name: str, platform: PlatformDep, actor: ActorDep) -> EventSubscription:
    with platform.context(actor) as ctx:
        return events.get_subscription(ctx, name)


@router.delete("/event-subscriptions/{name}", status_code=204)
def delete_subscription(name: str, platform: PlatformDep, actor: ActorDep) -> Response:
    with platform.context(actor) as ctx:
        events.delete_subscription(ctx, name)
    return Response(status_code=204)
