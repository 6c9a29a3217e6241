"""The keys a spec model takes at a location, to suggest the intended one for a typo."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def known_keys(model: Any, location: tuple[str | int, ...]) -> set[str]:
    """Field names and aliases accepted at ``location`` inside ``model`` (every member of
    a union where the location is ambiguous); empty where it cannot be told."""
    keys: set[str] = set()
    for found in _models_at(model, tuple(str(p) for p in location), depth=0):
        for name, info in found.model_fields.items():
            keys.add(info.alias or name)
    return keys


def _models_at(annotation: Any, location: tuple[str, ...], depth: int) -> list[type[BaseModel]]:
    if depth > 12:  # recursive specs (pipelines of pipelines) stop somewhere
        return []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_at(typing.get_args(annotation)[0], location, depth + 1)
    if origin in (typing.Union, types.UnionType):
        return [
            found
            for member in typing.get_args(annotation)
            for found in _models_at(member, location, depth + 1)
        ]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not location:
            return [annotation]
        field = _field(annotation, location[0])
        return _models_at(field, location[1:], depth + 1) if field is not None else []
    if origin in (dict, list, tuple, set, frozenset) and location:
        args = typing.get_args(annotation)
        return _models_at(args[-1], location[1:], depth + 1) if args else []
    return []


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None
