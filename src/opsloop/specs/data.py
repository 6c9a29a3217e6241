"""Datastore and data asset specs."""

from __future__ import annotations

from pydantic import field_validator

from opsloop.specs.base import AssetPath, AssetVersion, DataType, NamedSpec


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
