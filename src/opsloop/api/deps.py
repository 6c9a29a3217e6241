"""Typed dependencies shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from pydantic import AfterValidator

from opsloop.errors import AuthenticationError, ValidationError
from opsloop.security.actor import Actor
from opsloop.services.context import Platform
from opsloop.specs.base import unstorable


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_actor(request: Request) -> Actor:
    """The caller, as authentication established it before routing
    (``opsloop.api.authentication``): the token's principal, or the embedded OS user."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None:  # a route outside the authenticated prefix: never served so
        raise AuthenticationError("this request was not authenticated")
    return actor


def storable_parameters(request: Request) -> None:
    """Path and query values are looked up in the store: text it cannot hold is the
    caller's error, as in a body (see StorableText)."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if unstorable(value):
            raise ValidationError("must not contain NUL characters", field=name)


PlatformDep = Annotated[Platform, Depends(get_platform)]
ActorDep = Annotated[Actor, Depends(get_actor)]
DRY_RUN_HEADER = "X-Opsloop-Dry-Run"


def dry_run_flag(
    response: Response,
    dry_run: Annotated[
        bool, Query(description="true: check and answer what would be created; write nothing.")
    ] = False,
) -> bool:
    """A dry run answers 200 (nothing was created) with ``X-Opsloop-Dry-Run: true``, so a
    caller can tell the answer from a creation's 201."""
    if dry_run:
        response.status_code = 200
        response.headers[DRY_RUN_HEADER] = "true"
    return dry_run


# On create routes: check the request and answer what would be created, writing nothing
# (``Platform.context(dry_run=True)``). Such a route declares DRY_RUN_RESPONSES.
DryRun = Annotated[bool, Depends(dry_run_flag)]
_DRY_RUN_HEADERS = {
    DRY_RUN_HEADER: {
        "description": "`true` when the answer is a dry run's (`dry_run=true`).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
DRY_RUN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A dry run (`dry_run=true`): what would be created; nothing was written.",
        "headers": _DRY_RUN_HEADERS,
    }
}
# For a route that answers 200 either way.
DRY_RUN_HEADERS: dict[int | str, dict[str, Any]] = {200: {"headers": _DRY_RUN_HEADERS}}


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
