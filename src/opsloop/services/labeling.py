"""Labeling tasks: opened or extended by the label action with the items an event brought,
listed, and exported as a data asset version (JSONL or CSV). Labeling itself (the UI) is
to come; an item is kept as the JSON object it arrived as.

Reading and exporting a task are data operations: ``data/read`` and ``data/write``.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from opsloop.catalogue.actions import Action
from opsloop.catalogue.labeling_events import LabelingTaskItemsAdded
from opsloop.errors import NotFoundError, ValidationError
from opsloop.schemas.entities import DataAsset
from opsloop.schemas.labeling import LabelingTask
from opsloop.services import data_assets
from opsloop.services.context import ServiceContext
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.data import DataSpec
from opsloop.store.labeling_tables import LabelingItemRow, LabelingTaskRow
from opsloop.store.tables import WorkspaceRow

SAMPLE = 5


def add_items(
    ctx: ServiceContext,
    workspace: str,
    task: str,
    items: list[dict[str, Any]],
    *,
    event: str | None = None,
    subscription: str | None = None,
) -> LabelingTask:
    """Open the task (when it is new) and add the items, in the caller's transaction."""
    target = f"labeling-task:{task}"
    ctx.begin_mutation(Action.DATA_WRITE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    row = _find(ctx, ws, task)
    if row is None:
        row = LabelingTaskRow(workspace_id=ws.id, name=task, created_by=str(ctx.actor))
        ctx.session.add(row)
        ctx.session.flush()
    row.updated_at = datetime.now(UTC)
    for item in items:
        ctx.session.add(
            LabelingItemRow(task_id=row.id, item=item, event=event, subscription=subscription)
        )
    ctx.session.flush()
    made = _to_entity(ctx, row, workspace)
    ctx.record(
        Action.DATA_WRITE,
        workspace=workspace,
        target=target,
        event=LabelingTaskItemsAdded(
            items=len(items), total=made.items, event=event, subscription=subscription
        ),
    )
    return made


def list_tasks(ctx: ServiceContext, workspace: str) -> list[LabelingTask]:
    ctx.authorize(Action.DATA_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    rows = ctx.session.scalars(
        select(LabelingTaskRow)
        .where(LabelingTaskRow.workspace_id == ws.id)
        .order_by(LabelingTaskRow.name)
    )
    return [_to_entity(ctx, row, workspace, sample=0) for row in rows]


def get_task(ctx: ServiceContext, workspace: str, name: str) -> LabelingTask:
    ctx.authorize(Action.DATA_READ, workspace)
    return _to_entity(ctx, _require(ctx, require_workspace_row(ctx, workspace), name), workspace)


def export_task(
    ctx: ServiceContext, workspace: str, name: str, to_data: str, fmt: str = "jsonl"
) -> DataAsset:
    """Register the task's items as a new version of the ``uri_file`` data asset
    ``to_data``: one JSON object a line, or CSV with a column per key."""
    ctx.authorize(Action.DATA_WRITE, workspace)
    row = _require(ctx, require_workspace_row(ctx, workspace), name)
    items = [
        r.item
        for r in ctx.session.scalars(
            select(LabelingItemRow)
            .where(LabelingItemRow.task_id == row.id)
            .order_by(LabelingItemRow.id)
        )
    ]
    if not items:
        raise ValidationError(f"labeling task {name!r} has no items to export", field="name")
    with tempfile.TemporaryDirectory(prefix="opsloop-labeling-") as scratch:
        path = Path(scratch) / f"{name}.{fmt}"
        if fmt == "csv":
            pd.DataFrame(items).to_csv(path, index=False)
        else:
            path.write_text("".join(json.dumps(i, sort_keys=True) + "\n" for i in items))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        url = ctx.platform.artifacts.put(path, f"labeling/{workspace}/{name}/{stamp}/{path.name}")
    spec = DataSpec(
        name=to_data, type="uri_file", path=url,
        description=f"Items of labeling task {name} ({len(items)})",
        tags={"opsloop.labeling_task": name},
    )  # fmt: skip
    return data_assets.create_data_asset(ctx, workspace, spec)


def _find(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> LabelingTaskRow | None:
    return ctx.session.scalar(
        select(LabelingTaskRow).where(
            LabelingTaskRow.workspace_id == ws.id, LabelingTaskRow.name == name
        )
    )


def _require(ctx: ServiceContext, ws: WorkspaceRow, name: str) -> LabelingTaskRow:
    row = _find(ctx, ws, name)
    if row is None:
        raise NotFoundError(f"labeling task {name!r} not found in workspace {ws.name!r}")
    return row


def _to_entity(
    ctx: ServiceContext, row: LabelingTaskRow, workspace: str, sample: int = SAMPLE
) -> LabelingTask:
    count = ctx.session.scalar(
        select(func.count()).select_from(LabelingItemRow).where(LabelingItemRow.task_id == row.id)
    )
    first = ctx.session.scalars(
        select(LabelingItemRow.item)
        .where(LabelingItemRow.task_id == row.id)
        .order_by(LabelingItemRow.id)
        .limit(sample)
    )
    return LabelingTask(
        workspace=workspace, name=row.name, items=count or 0, created_at=row.created_at,
        created_by=row.created_by, updated_at=row.updated_at,
        sample=list(first) if sample else [],
    )  # fmt: skip
