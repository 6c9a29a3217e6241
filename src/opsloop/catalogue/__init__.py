"""The catalogue: every permission action and every event type, declared once.

Services authorise and audit with :class:`Action` members and emit events as payload
models from :mod:`opsloop.catalogue.events`; access control reads its roles from the
actions, the event docs and ``opsloop event list`` read the event types.
"""

from opsloop.catalogue.actions import Action, describe_action
from opsloop.catalogue.events import EVENT_TYPES, EventPayload, event_type_info

__all__ = ["EVENT_TYPES", "Action", "EventPayload", "describe_action", "event_type_info"]
