"""What every subscription's subscriber shares: the filter (types, workspace, subject) and
``${{event...}}`` expressions read from the event."""

from __future__ import annotations

import fnmatch
from typing import Any, Generic, TypeVar

from opsloop.schemas.events import CloudEvent
from opsloop.services.events import EventSubscriber
from opsloop.services.subscriptions import subscriber_name
from opsloop.specs.events import EVENT_EXPRESSION

ActionT = TypeVar("ActionT")


class DeliveryError(RuntimeError):
    """A delivery that did not take; ``status_code`` when a server answered."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SubscriptionSubscriber(EventSubscriber, Generic[ActionT]):
    """A stored subscription and its action: ``accepts`` applies its filter; subclasses
    act. ``name`` (the dispatcher's key) derives from the subscription's name."""

    def __init__(
        self,
        subscription: str,
        patterns: list[str],
        workspace: str | None,
        subject: str | None,
        action: ActionT,
    ) -> None:
        self.subscription = subscription
        self.name = subscriber_name(subscription)
        self.patterns = patterns
        self.workspace = workspace
        self.subject = subject
        self.action = action

    def accepts(self, event: CloudEvent) -> bool:
        if self.workspace is not None and event.workspace != self.workspace:
            return False
        if self.subject is not None and not fnmatch.fnmatchcase(event.subject or "", self.subject):
            return False
        return any(fnmatch.fnmatchcase(event.type, p) for p in self.patterns)


def event_value(event: CloudEvent, path: str) -> Any:
    """``event.data.production_data``, ``event.subject``, ... read from the event."""
    parts = path.split(".")[1:]  # drop "event"
    if parts[0] == "time":
        return event.time.isoformat()
    if parts[0] != "data":
        return getattr(event, parts[0])
    value: Any = event.data
    for i, key in enumerate(parts[1:], start=2):
        if not isinstance(value, dict) or key not in value:
            raise DeliveryError(f"the event has no {'.'.join(parts[:i])}")
        value = value[key]
    return value


def render(text: str, event: CloudEvent) -> Any:
    """Replace each ``${{event...}}`` in ``text``; a text that is one expression alone
    keeps the value's type (a list stays a list)."""
    whole = EVENT_EXPRESSION.fullmatch(text.strip())
    if whole:
        return event_value(event, whole.group(1))

    def one(match: Any) -> str:
        value = event_value(event, match.group(1))
        return "" if value is None else str(value)

    return EVENT_EXPRESSION.sub(one, text)


def action_workspace(configured: str | None, event: CloudEvent) -> str:
    workspace = configured or event.workspace
    if not workspace:
        raise DeliveryError("the action names no workspace and the event has none")
    return workspace
