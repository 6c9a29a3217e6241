"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from opsloop.errors import ValidationError
from opsloop.security.actor import Actor, os_user_actor
from opsloop.services.context import Platform


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_actor(x_opsloop_actor: Annotated[str | None, Header()] = None) -> Actor:
    # Until access control lands (a later issue), the caller names itself; embedded
    # callers are the OS user.
    return Actor(name=x_opsloop_actor) if x_opsloop_actor else os_user_actor()


PlatformDep = Annotated[Platform, Depends(get_platform)]
ActorDep = Annotated[Actor, Depends(get_actor)]


def require_path_match(in_body: str, in_path: str, *, field: str, noun: str) -> None:
    """A body that names its parent (``endpoint_name``) must name the one in the path."""
    if in_body != in_path:
        raise ValidationError(
            f"the body names {noun} {in_body!r}, the path {in_path!r}", field=field
        )
