"""Changing a resource's fields in place: one way for every PATCH-style update (workspaces,
registries, principals), so each records its event the same way."""

from __future__ import annotations

from collections.abc import Callable

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventPayload
from opsloop.services.context import ServiceContext


def update_fields(
    ctx: ServiceContext,
    row: object,
    changes: dict[str, object],
    action: Action,
    *,
    workspace: str | None,
    target: str,
    event: Callable[..., EventPayload],
) -> list[str]:
    """Set each given field on ``row``; when any changed, record ``event(fields=...)``
    naming them. The names of the fields that changed."""
    changed = _apply_changes(row, changes)
    if changed:
        ctx.record(action, workspace=workspace, target=target, event=event(fields=changed))
    return changed


def _apply_changes(row: object, changes: dict[str, object]) -> list[str]:
    """Set each given field on ``row`` (null tags are no tags); the names of those that
    changed."""
    changed = []
    for key, value in changes.items():
        value = {} if key == "tags" and value is None else value
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed
