"""Labeling tasks a label action opened: list, show, export as a data asset."""

from __future__ import annotations

from fastapi import APIRouter

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.schemas.entities import DataAsset
from opsloop.schemas.labeling import LabelingExportRequest, LabelingTask
from opsloop.services import labeling

router = APIRouter(prefix="/workspaces/{workspace}/labeling-tasks", tags=["labeling"])


@router.get("")
def list_tasks(workspace: str, platform: PlatformDep, actor: ActorDep) -> list[LabelingTask]:
    with platform.context(actor) as ctx:
        return labeling.list_tasks(ctx, workspace)


@router.get("/{name}")
def get_task(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> LabelingTask:
    with platform.context(actor) as ctx:
        return labeling.get_task(ctx, workspace, name)


@router.post("/{name}/export", status_code=201)
def export_task(
    workspace: str, name: str, body: LabelingExportRequest, platform: PlatformDep, actor: ActorDep
) -> DataAsset:
    """Register the task's items as a new version of a ``uri_file`` data asset."""
    with platform.context(actor) as ctx:
        return labeling.export_task(ctx, workspace, name, body.to_data, body.format)
