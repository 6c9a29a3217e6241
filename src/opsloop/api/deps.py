"""Typed dependencies shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import AfterValidator

from opsloop.errors import ValidationError
from opsloop.security.actor import Actor, os_user_actor
from opsloop.services.context import Platform
from opsloop.specs.base import unstorable


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_actor(x_opsloop_actor: Annotated[str | None, Header()] = None) -> Actor:
    # Until access control lands (a later issue), the caller names itself; embedded
    # callers are the OS user.
    return Actor(name=x_opsloop_actor) if x_opsloop_actor else os_user_actor()


def storable_parameters(request: Request) -> None:
    """Path and query values are looked up in the store: text it cannot hold is the
    caller's error, as in a body (see StorableText)."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if unstorable(value):
            raise ValidationError("must not contain NUL characters", field=name)


PlatformDep = Annotated[Platform, Depends(get_platform)]
ActorDep = Annotated[Actor, Depends(get_actor)]

# Query parameters, bounded here so that no value reaches the store that it cannot hold
# (both backends keep integers in 64 bits) and the OpenAPI document states the bounds.
MAX_LIST_LIMIT = 10_000
INT64_MAX = 2**63 - 1
ListLimit = Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="At most this many.")]
LogLines = Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT, description="The last this many lines.")]
HttpStatus = Annotated[int | None, Query(ge=100, le=599)]
Revision = Annotated[int | None, Query(ge=1, le=INT64_MAX)]


def _utc_moment(value: datetime | None) -> datetime | None:
    # A moment near the ends of the calendar can have no UTC equivalent (year 1 at +14:00).
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the moment is out of range once converted to UTC") from None


Moment = Annotated[datetime | None, AfterValidator(_utc_moment), Query()]


def require_path_match(in_body: str, in_path: str, *, field: str, noun: str) -> None:
    """A body that names its parent (``endpoint_name``) must name the one in the path."""
    if in_body != in_path:
        raise ValidationError(
            f"the body names {noun} {in_body!r}, the path {in_path!r}", field=field
        )
