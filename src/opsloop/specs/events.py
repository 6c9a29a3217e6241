"""Event subscription spec: a webhook that receives matching events."""

from __future__ import annotations

import fnmatch
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from opsloop.catalogue.events import EVENT_TYPES
from opsloop.specs.base import AssetName, SpecModel


def _check_webhook_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > 2000:
        raise ValueError("must be an http:// or https:// URL")
    return value


class EventSubscriptionSpec(SpecModel):
    """Deliver the events whose type matches one of ``event_types`` (``job.*``, or a type
    from ``docs/events.md``) to ``webhook_url`` as CloudEvents, at least once, in order."""

    name: AssetName
    event_types: list[str] = Field(min_length=1, max_length=50)
    webhook_url: Annotated[str, AfterValidator(_check_webhook_url)]
    workspace: AssetName | None = None

    @field_validator("event_types")
    @classmethod
    def _declared_types(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(t, pattern) for t in EVENT_TYPES):
                raise ValueError(f"{pattern!r} matches no event type; see `opsloop event types`")
        return patterns
