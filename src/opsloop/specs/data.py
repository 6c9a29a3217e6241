"""Datastore and data asset specs."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator

from opsloop.specs.base import AssetPath, AssetVersion, DataType, NamedSpec

# Every workspace's datastore inside the artifact store (as Azure ML names it).
DEFAULT_DATASTORE = "workspaceblobstore"


class DatastoreSpec(NamedSpec):
    """A named fsspec URL: ``file://``, ``s3://``, ``abfs://``, ``gs://``."""

    url: str
    type: str | None = None

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("must be an fsspec URL such as file:///data or s3://bucket/prefix")
        return value.rstrip("/")


class DataSpec(NamedSpec):
    """A versioned ``uri_file``, ``uri_folder`` or ``mltable`` data asset."""

    version: AssetVersion = None
    type: DataType = "uri_folder"
    path: AssetPath


def data_shape_problem(local: Path, asset_type: str) -> str | None:
    """Why the file or folder at ``local`` cannot be a data asset of ``asset_type``, or
    None (checked where the data is read: by the service, or by a client's dry run)."""
    if asset_type == "uri_file" and not local.is_file():
        return "a uri_file asset must point at a file, not a folder"
    if asset_type in ("uri_folder", "mltable") and not local.is_dir():
        return f"a {asset_type} asset must point at a folder"
    if asset_type == "mltable" and not (local / "MLTable").is_file():
        return "an mltable folder must hold an MLTable file"
    return None
