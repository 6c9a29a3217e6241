"""Shared pieces of spec models: strict base class, names, tags, asset types."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")

DataType = Literal["uri_file", "uri_folder", "mltable"]
ModelType = Literal["mlflow_model", "custom_model"]
AssetType = Literal["uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model"]
LiteralType = Literal["string", "integer", "number", "boolean"]
ASSET_TYPES: frozenset[str] = frozenset(
    ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model")
)
LITERAL_TYPES: frozenset[str] = frozenset(("string", "integer", "number", "boolean"))


def _check_name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError(
            "must start with a letter or digit and hold only letters, digits, '_', '-' or '.'"
        )
    return value


# The pattern is also stated in the JSON schema (OpenAPI), for clients and generated requests.
AssetName = Annotated[
    str,
    AfterValidator(_check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN.pattern}),
]


def _check_not_blank(value: str) -> str:
    # An empty path would be read as the current folder, of whatever process reads it.
    if not value.strip():
        raise ValueError("must not be empty")
    return value


AssetPath = Annotated[str, AfterValidator(_check_not_blank)]


def _version_text(value: object) -> object:
    # YAML reads `version: 1` as an integer; versions are strings.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


AssetVersion = Annotated[str | None, BeforeValidator(_version_text)]


def unstorable(value: Any) -> bool:
    """Text no store can keep: NUL (PostgreSQL refuses it, SQLite would take it, so the
    two would differ) or a lone surrogate (not encodable as UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(item) for item in value)
    return False  # numbers, None, and nested models, which check their own fields


class StorableText(BaseModel):
    """Base of every request body: each field's text must be storable as it was sent."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if unstorable(value):
            raise ValueError("text must not contain NUL characters or lone surrogates")
        return value


class SpecModel(StorableText):
    """Base of YAML specs: unknown keys are errors; ``$schema`` is accepted and ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_url: str | None = Field(default=None, alias="$schema", exclude=True)


class NamedSpec(SpecModel):
    name: AssetName
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
