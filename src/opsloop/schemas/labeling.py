"""Labeling tasks as the API answers them, and the export request."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsloop.specs.base import AssetName, StorableText


class LabelingTask(BaseModel):
    workspace: str
    name: str
    items: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    sample: list[dict[str, Any]] = Field(default_factory=list)  # the first items


class LabelingExportRequest(StorableText):
    model_config = ConfigDict(extra="forbid")

    to_data: AssetName  # the data asset to register (a new version)
    format: Literal["jsonl", "csv"] = "jsonl"
