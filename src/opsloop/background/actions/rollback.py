"""The rollback action: restore an online endpoint's previous traffic split, with the
same service ``opsloop online-endpoint rollback`` uses, once per event."""

from __future__ import annotations

from opsloop.background.actions.base import (
    DeliveryError,
    SubscriptionSubscriber,
    action_workspace,
    render,
)
from opsloop.schemas.events import CloudEvent
from opsloop.services.context import ServiceContext
from opsloop.services.endpoint_history import roll_back_traffic
from opsloop.specs.events import RollbackAction

SUBJECT_PREFIX = "online-endpoint:"


def endpoint_of(action: RollbackAction, event: CloudEvent) -> str:
    """The action's endpoint, else the event's ``data.endpoint``, else its subject."""
    if action.endpoint is not None:
        return str(render(action.endpoint, event))
    named = event.data.get("endpoint")
    if isinstance(named, str) and named:
        return named
    if event.subject and event.subject.startswith(SUBJECT_PREFIX):
        return event.subject[len(SUBJECT_PREFIX) :]
    raise DeliveryError("the action names no endpoint and the event has none")


class RollbackSubscriber(SubscriptionSubscriber[RollbackAction]):
    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> str:
        workspace = action_workspace(self.action.workspace, event)
        endpoint = endpoint_of(self.action, event)
        roll_back_traffic(ctx, workspace, endpoint)
        return f"online-endpoint:{workspace}/{endpoint}"
