"""``client.labeling``: labeling tasks that label actions opened."""

from __future__ import annotations

from opsloop.client._resources import _Operations
from opsloop.schemas.entities import DataAsset
from opsloop.schemas.labeling import LabelingTask


class LabelingOperations(_Operations):
    """List, show and export labeling tasks::

    client.labeling.export("drifted-rows", to_data="to-label", format="csv", workspace="dev")
    """

    def _path(self, workspace: str | None, name: str = "") -> str:
        base = f"/workspaces/{self._ws(workspace)}/labeling-tasks"
        return f"{base}/{name}" if name else base

    def list(self, *, workspace: str | None = None) -> list[LabelingTask]:
        return self._list(LabelingTask, self._path(workspace))

    def get(self, name: str, *, workspace: str | None = None) -> LabelingTask:
        return self._get(LabelingTask, self._path(workspace, name))

    def export(
        self, name: str, *, to_data: str, format: str = "jsonl", workspace: str | None = None
    ) -> DataAsset:
        """Register the task's items as a new version of the data asset ``to_data``."""
        body = {"to_data": to_data, "format": format}
        return self._post(DataAsset, f"{self._path(workspace, name)}/export", body)
