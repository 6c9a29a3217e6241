"""The label action: open or extend a labeling task with the items that triggered it, in
the transaction that records the delivery (once per event).

The items are the event's ``data.items`` (a list; an item that is not an object is kept
as ``{"value": item}``), else up to ``limit`` rows read from ``data.production_data`` (a
file or folder URI, as a monitor's alert names its production window).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from opsloop.background.actions.base import (
    DeliveryError,
    SubscriptionSubscriber,
    action_workspace,
)
from opsloop.schemas.events import CloudEvent
from opsloop.services.context import ServiceContext
from opsloop.services.labeling import add_items
from opsloop.specs.events import LabelAction
from opsloop.store.artifacts import materialize
from opsloop.tabular.reader import read_table


def event_items(event: CloudEvent, limit: int) -> list[dict[str, Any]]:
    given = event.data.get("items")
    if isinstance(given, list):
        return [i if isinstance(i, dict) else {"value": i} for i in given[:limit]]
    uri = event.data.get("production_data")
    if not isinstance(uri, str) or not uri:
        raise DeliveryError("the event has neither data.items nor data.production_data")
    with tempfile.TemporaryDirectory(prefix="opsloop-label-") as scratch:
        local = materialize(uri, Path(scratch))
        table = read_table(local, "uri_folder" if local.is_dir() else "uri_file")
        # Through JSON: numpy scalars, NaN and timestamps become what a JSON column keeps.
        rows: list[dict[str, Any]] = json.loads(table.head(limit).to_json(orient="records"))
    return rows


class LabelSubscriber(SubscriptionSubscriber[LabelAction]):
    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> str:
        workspace = action_workspace(self.action.workspace, event)
        items = event_items(event, self.action.limit)
        task = add_items(
            ctx, workspace, self.action.task, items, event=event.id,
            subscription=self.subscription,
        )  # fmt: skip
        return f"labeling-task:{workspace}/{task.name} (+{len(items)} items)"
